package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/syncmon/syncmon/store"
)

// actorOf is the requesting principal as the store's audit log names it.
func actorOf(c echo.Context) store.Actor {
	p := principalOf(c)
	return store.Actor{Name: p.Name, Role: p.Role.String(), Address: clientAddress(c.Request())}
}

// auditPage shows the audit log, newest first, a page at a time.
type auditPage struct {
	base
	Entries []store.AuditEntry
	Older   int64 // id to page on from; 0: no older entries
}

const auditPageSize = 200

func (s *Server) auditLog(c echo.Context) error {
	var before int64
	if v := c.QueryParam("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return echo.NewHTTPError(http.StatusBadRequest, "before must be an entry number")
		}
		before = n
	}
	entries, err := s.store.AuditLog(c.Request().Context(), auditPageSize, before)
	if err != nil {
		return err
	}
	page := auditPage{base: s.base(c, T(langOf(c), "audit")), Entries: entries}
	page.Page = "audit"
	if len(entries) == auditPageSize {
		page.Older = entries[len(entries)-1].ID
	}
	return s.render(c, http.StatusOK, "audit.html", page)
}
