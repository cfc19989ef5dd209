package pebbleapi

import (
	"bytes"
	"io"
	"net/http"
	"strings"
)

// Call is one request the server answered, as a recorder of the
// client's calls sees it (exec's websockets aside).
type Call struct {
	Method, Path, ContentType string
	// Body is a POST's.
	Body   []byte
	Status int
}

// OnCall has fn called with each request once it is answered. Set it
// before serving.
func (s *Server) OnCall(fn func(Call)) { s.onCall = fn }

// ServeHTTP lets a test or another mux use the server.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.onCall == nil || strings.Contains(r.URL.Path, "/websocket/") {
		s.mux.ServeHTTP(w, r)
		return
	}
	c := Call{Method: r.Method, Path: r.URL.RequestURI(), ContentType: r.Header.Get("Content-Type")}
	if r.Method == http.MethodPost {
		c.Body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(c.Body))
	}
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	s.mux.ServeHTTP(sw, r)
	c.Status = sw.status
	s.onCall(c)
}

// statusWriter keeps the status an answer was written with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
