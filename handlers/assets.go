package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"

	"github.com/labstack/echo/v4"
	"github.com/syncmon/syncmon/static"
)

// Static files are served at /static/{hash}/{file}, where hash is the first
// 12 hex digits of the file's SHA-256: cached for a year, and a new build's
// pages name new URLs.

type asset struct {
	body []byte
	hash string
}

// assets are the embedded static files, hashed once when the server is built.
type assets struct {
	byName map[string]asset
	url    map[string]string // file name → its content-hashed URL
}

func loadAssets() (*assets, error) {
	a := &assets{byName: map[string]asset{}, url: map[string]string{}}
	err := fs.WalkDir(static.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static.FS, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:])[:12]
		a.byName[p] = asset{body: b, hash: h}
		a.url[p] = "/static/" + h + "/" + p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load static files: %w", err)
	}
	return a, nil
}

func (s *Server) static(c echo.Context) error {
	a, ok := s.assets.byName[c.Param("file")]
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "not found")
	}
	h := c.Response().Header()
	if c.Param("hash") == a.hash {
		h.Set(echo.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		h.Set(echo.HeaderCacheControl, "no-cache")
	}
	ctype := mime.TypeByExtension(path.Ext(c.Param("file")))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	return c.Blob(http.StatusOK, ctype, a.body)
}
