# SyncMon in a container: the same static binary as `make dist`, alone on a
# distroless base (no shell, no libc), as a non-root user. Not built in CI.
#
#   docker build -t syncmon --build-arg VERSION=$(git describe --tags --always) .
#   docker run -d -p 8080:8080 -v syncmon-data:/var/lib/syncmon \
#     -v /etc/syncmon/syncmon.yaml:/etc/syncmon/syncmon.yaml:ro \
#     --env-file /etc/syncmon/syncmon.env syncmon
#
# The config must listen on ":8080" and keep `database:` relative (it lands
# in the volume). See docs/OPERATIONS.md, "Install".

FROM golang:1.26-bookworm AS build
ARG VERSION=0.0.0-dev
ARG COMMIT=unknown
ARG BUILD_DATE=unknown
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath \
	-tags 'netgo osusergo sqlite_omit_load_extension' \
	-ldflags "-s -w -linkmode external -extldflags -static -X main.buildVersion=${VERSION} -X main.buildCommit=${COMMIT} -X main.buildDate=${BUILD_DATE}" \
	-o /out/syncmon . \
	&& mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/syncmon /usr/bin/syncmon
# The database's directory, owned by the image's non-root user (65532).
COPY --from=build --chown=65532:65532 /out/data /var/lib/syncmon
USER 65532:65532
WORKDIR /var/lib/syncmon
VOLUME /var/lib/syncmon
EXPOSE 8080
ENTRYPOINT ["/usr/bin/syncmon"]
CMD ["serve", "--config", "/etc/syncmon/syncmon.yaml"]
