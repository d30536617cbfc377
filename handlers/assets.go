package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sync"

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

var (
	assetsOnce sync.Once
	assetsByID map[string]asset
	assetURL   map[string]string
)

func loadAssets() {
	assetsByID, assetURL = map[string]asset{}, map[string]string{}
	_ = fs.WalkDir(static.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static.FS, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:])[:12]
		assetsByID[p] = asset{body: b, hash: h}
		assetURL[p] = "/static/" + h + "/" + p
		return nil
	})
}

func assetURLs() map[string]string {
	assetsOnce.Do(loadAssets)
	return assetURL
}

func (s *Server) static(c echo.Context) error {
	assetsOnce.Do(loadAssets)
	a, ok := assetsByID[c.Param("file")]
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
