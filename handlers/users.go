package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/syncmon/syncmon/store"
)

// usersPage lists accounts; admins add and remove them and sign them out
// everywhere (ASVS 7.4.5). Passwords are changed with `syncmon user passwd`.
type usersPage struct {
	base
	Users    []store.User
	Name     string
	Role     string
	Problems []string
}

func (s *Server) usersPage(c echo.Context, code int, page usersPage) error {
	users, err := s.store.Users(c.Request().Context())
	if err != nil {
		return err
	}
	page.base = s.base(c, T(langOf(c), "users"))
	page.Page, page.Refresh, page.Users = "users", 0, users
	if page.Role == "" {
		page.Role = store.RoleViewer
	}
	return s.render(c, code, "users.html", page)
}

func (s *Server) userList(c echo.Context) error { return s.usersPage(c, http.StatusOK, usersPage{}) }

func (s *Server) userCreate(c echo.Context) error {
	lang := langOf(c)
	in := store.NewUser{Name: strings.TrimSpace(c.FormValue("name")), Role: c.FormValue("role"),
		Password: c.FormValue("password"), Cost: s.opt.Auth.PasswordCost}
	page := usersPage{Name: in.Name, Role: in.Role}
	if err := store.CheckUserName(in.Name); err != nil {
		page.Problems = append(page.Problems, T(lang, "user_name_invalid"))
	}
	if in.Role != store.RoleViewer && in.Role != store.RoleAdmin {
		page.Problems = append(page.Problems, T(lang, "role_invalid"))
	}
	if err := store.CheckPassword(in.Password); err != nil {
		page.Problems = append(page.Problems, T(lang, "password_invalid"))
	}
	if len(page.Problems) > 0 {
		return s.usersPage(c, http.StatusUnprocessableEntity, page)
	}
	if _, err := s.store.CreateUser(c.Request().Context(), actorOf(c), in); err != nil {
		if errors.Is(err, store.ErrConflict) {
			page.Problems = []string{T(lang, "user_name_taken")}
			return s.usersPage(c, http.StatusConflict, page)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/users")
}

func userParam(c echo.Context) string {
	name, err := url.PathUnescape(c.Param("name"))
	if err != nil {
		return ""
	}
	return name
}

func (s *Server) userRemove(c echo.Context) error {
	u, err := s.store.RemoveUser(c.Request().Context(), actorOf(c), userParam(c))
	if errors.Is(err, store.ErrConflict) {
		return s.usersPage(c, http.StatusConflict, usersPage{Problems: []string{T(langOf(c), "last_admin")}})
	}
	if err != nil {
		return err
	}
	s.closeScreensOfUser(u.ID)
	return c.Redirect(http.StatusSeeOther, "/users")
}

func (s *Server) userSignOut(c echo.Context) error {
	u, _, err := s.store.EndUserSessions(c.Request().Context(), actorOf(c), userParam(c))
	if err != nil {
		return err
	}
	s.closeScreensOfUser(u.ID)
	return c.Redirect(http.StatusSeeOther, "/users")
}
