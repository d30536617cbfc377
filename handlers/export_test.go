package handlers

// RouteInfo is one entry of the route table, as tests outside the package
// see it.
type RouteInfo struct {
	Method string
	Path   string
	Role   Role
	Stream bool
	Form   bool
}

// Routes returns the route table, in order.
func (s *Server) Routes() []RouteInfo {
	var out []RouteInfo
	for _, rt := range s.routes() {
		out = append(out, RouteInfo{Method: rt.method, Path: rt.path, Role: rt.role, Stream: rt.stream, Form: rt.form})
	}
	return out
}

// RegisteredRoutes returns every route the router serves, so that a test
// can tell that nothing is served around the table.
func (s *Server) RegisteredRoutes() []RouteInfo {
	var out []RouteInfo
	for _, r := range s.echo.Routes() {
		out = append(out, RouteInfo{Method: r.Method, Path: r.Path})
	}
	return out
}

// Beat runs one heartbeat of every WebSocket slot, now.
func (s *Server) Beat() {
	for i := range wsHeartbeatSlots {
		s.beat(i)
	}
}

// WSQueued is how many WebSocket connections have messages queued behind
// melody's buffer.
func (s *Server) WSQueued() int64 { return s.ws.queued.Load() }
