package pebbleapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path"
	"strconv"
	"time"

	"github.com/canonical/pebble/client"
)

// Notices and files, as Pebble's api_notices.go and api_files.go answer.

// notices lists notices at once. A long poll (timeout) is answered at
// once too: ops' charm code never waits on notices, and the model's agent
// asks its Go-level Pebble.
func (s *Server) notices(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	opts := &client.NoticesOptions{Keys: q["keys"]}
	for _, t := range names(r, "types") {
		opts.Types = append(opts.Types, client.NoticeType(t))
	}
	if a := q.Get("after"); a != "" {
		after, err := time.Parse(time.RFC3339Nano, a)
		if err != nil {
			errorResponse(w, http.StatusBadRequest, "", "invalid after timestamp "+strconv.Quote(a)+": "+err.Error())
			return
		}
		opts.After = after
	}
	var notices []*client.Notice
	var err error
	s.do(func(b Backend) { notices, err = b.Notices(opts) })
	if err != nil {
		backendError(w, err)
		return
	}
	out := []map[string]any{}
	for _, n := range notices {
		out = append(out, noticeJSON(n))
	}
	syncResponse(w, out)
}

// notice is one notice by its id.
func (s *Server) notice(w http.ResponseWriter, r *http.Request) {
	var notices []*client.Notice
	var err error
	s.do(func(b Backend) { notices, err = b.Notices(&client.NoticesOptions{}) })
	if err != nil {
		backendError(w, err)
		return
	}
	for _, n := range notices {
		if n.ID == r.PathValue("id") {
			syncResponse(w, noticeJSON(n))
			return
		}
	}
	errorResponse(w, http.StatusNotFound, "not-found", fmt.Sprintf("cannot find notice with ID %q", r.PathValue("id")))
}

// noticeJSON is a notice as Pebble's daemon writes it: durations as Go
// duration strings.
func noticeJSON(n *client.Notice) map[string]any {
	out := map[string]any{"id": n.ID, "user-id": n.UserID, "type": n.Type, "key": n.Key,
		"first-occurred": n.FirstOccurred, "last-occurred": n.LastOccurred, "last-repeated": n.LastRepeated,
		"occurrences": n.Occurrences}
	if len(n.LastData) > 0 {
		out["last-data"] = n.LastData
	}
	if n.RepeatAfter != 0 {
		out["repeat-after"] = n.RepeatAfter.String()
	}
	if n.ExpireAfter != 0 {
		out["expire-after"] = n.ExpireAfter.String()
	}
	return out
}

func (s *Server) addNotice(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Action      string            `json:"action"`
		Type        string            `json:"type"`
		Key         string            `json:"key"`
		RepeatAfter string            `json:"repeat-after"`
		Data        map[string]string `json:"data"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Action != "add" {
		errorResponse(w, http.StatusBadRequest, "", `invalid action "`+req.Action+`"`)
		return
	}
	if req.Type != string(client.CustomNotice) {
		errorResponse(w, http.StatusBadRequest, "", `invalid type "`+req.Type+`" (can only add "custom" notices)`)
		return
	}
	opts := &client.NotifyOptions{Type: client.CustomNotice, Key: req.Key, Data: req.Data}
	if req.RepeatAfter != "" {
		d, err := time.ParseDuration(req.RepeatAfter)
		if err != nil {
			errorResponse(w, http.StatusBadRequest, "", "invalid repeat-after: "+err.Error())
			return
		}
		opts.RepeatAfter = d
	}
	var id string
	var err error
	s.do(func(b Backend) { id, err = b.Notify(opts) })
	if err != nil {
		backendError(w, err)
		return
	}
	syncResponse(w, map[string]string{"id": id})
}

// ownership is how a pushed file or a made directory is to be owned, in
// a files request.
type ownership struct {
	Permissions string `json:"permissions"`
	UserID      *int   `json:"user-id"`
	User        string `json:"user"`
	GroupID     *int   `json:"group-id"`
	Group       string `json:"group"`
}

// fileResult is one path's outcome in a files answer.
type fileResult struct {
	Path  string       `json:"path"`
	Error *errorResult `json:"error,omitempty"`
}

func resultOf(p string, err error) fileResult {
	if err == nil {
		return fileResult{Path: p}
	}
	e, _ := errorOf(err)
	return fileResult{Path: p, Error: e}
}

func (s *Server) getFiles(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch q.Get("action") {
	case "list":
		s.listFiles(w, q.Get("path"), q.Get("pattern"), q.Get("itself") == "true")
	case "read":
		s.readFiles(w, q["path"])
	default:
		errorResponse(w, http.StatusBadRequest, "", `invalid action "`+q.Get("action")+`"`)
	}
}

func (s *Server) listFiles(w http.ResponseWriter, p, pattern string, itself bool) {
	if !path.IsAbs(p) {
		errorResponse(w, http.StatusBadRequest, "", "path must be absolute, got "+strconv.Quote(p))
		return
	}
	var out []map[string]any
	var err error
	s.do(func(b Backend) {
		entries, e := b.ListFiles(&client.ListFilesOptions{Path: p, Pattern: pattern, Itself: itself})
		err = e
		for _, f := range entries {
			info := map[string]any{"path": f.Path, "name": path.Base(f.Path), "type": fileType(f.Mode),
				"permissions": fmt.Sprintf("%03o", f.Mode.Perm()), "last-modified": time.Time{}.Format(time.RFC3339),
				"user-id": f.UserID, "user": f.User, "group-id": f.GroupID, "group": f.Group}
			if f.Mode.IsRegular() {
				info["size"] = f.Size
			}
			out = append(out, info)
		}
	})
	if err != nil {
		backendError(w, err)
		return
	}
	if out == nil {
		out = []map[string]any{}
	}
	syncResponse(w, out)
}

func fileType(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&os.ModeSymlink != 0:
		return "symlink"
	case m.IsRegular():
		return "file"
	}
	return "unknown"
}

// readFiles answers a pull as Pebble does: a multipart body, a "files"
// part per file read, then the "response" part with each path's result.
func (s *Server) readFiles(w http.ResponseWriter, paths []string) {
	mw := multipart.NewWriter(w)
	w.Header().Set("Content-Type", mw.FormDataContentType())
	var results []fileResult
	for _, p := range paths {
		var data bytes.Buffer
		var err error
		s.do(func(b Backend) { err = b.Pull(&client.PullOptions{Path: p, Target: &data}) })
		results = append(results, resultOf(p, err))
		if err != nil {
			continue
		}
		part, perr := mw.CreateFormFile("files", p)
		if perr != nil {
			return
		}
		io.Copy(part, &data)
	}
	part, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/json"}, "Content-Disposition": {`form-data; name="response"`}})
	if err != nil {
		return
	}
	json.NewEncoder(part).Encode(response{Type: "sync", StatusCode: http.StatusOK, Status: http.StatusText(http.StatusOK), Result: results})
	mw.Close()
}

func (s *Server) postFiles(w http.ResponseWriter, r *http.Request) {
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		errorResponse(w, http.StatusBadRequest, "", "invalid Content-Type: "+err.Error())
		return
	}
	if mediaType == "multipart/form-data" {
		s.writeFiles(w, multipart.NewReader(r.Body, params["boundary"]))
		return
	}
	var req struct {
		Action string `json:"action"`
		Dirs   []struct {
			Path        string `json:"path"`
			MakeParents bool   `json:"make-parents"`
			ownership
		} `json:"dirs"`
		Paths []struct {
			Path      string `json:"path"`
			Recursive bool   `json:"recursive"`
		} `json:"paths"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	var results []fileResult
	switch req.Action {
	case "make-dirs":
		for _, d := range req.Dirs {
			mode, err := permissions(d.Permissions)
			if err == nil {
				s.do(func(b Backend) {
					err = b.MakeDir(&client.MakeDirOptions{Path: d.Path, MakeParents: d.MakeParents, Permissions: mode,
						UserID: d.UserID, User: d.User, GroupID: d.GroupID, Group: d.Group})
				})
			}
			results = append(results, resultOf(d.Path, err))
		}
	case "remove":
		for _, p := range req.Paths {
			var err error
			s.do(func(b Backend) { err = b.RemovePath(&client.RemovePathOptions{Path: p.Path, Recursive: p.Recursive}) })
			results = append(results, resultOf(p.Path, err))
		}
	default:
		errorResponse(w, http.StatusBadRequest, "", `invalid action "`+req.Action+`"`)
		return
	}
	syncResponse(w, results)
}

// writeFiles takes a push: the "request" part, then a "files" part per
// file, named by its path.
func (s *Server) writeFiles(w http.ResponseWriter, mr *multipart.Reader) {
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "request" {
		errorResponse(w, http.StatusBadRequest, "", `cannot read request: want a "request" part first`)
		return
	}
	var req struct {
		Action string `json:"action"`
		Files  []struct {
			Path     string `json:"path"`
			MakeDirs bool   `json:"make-dirs"`
			ownership
		} `json:"files"`
	}
	if err := json.NewDecoder(part).Decode(&req); err != nil || req.Action != "write" {
		errorResponse(w, http.StatusBadRequest, "", `cannot decode request: want {"action": "write", "files": [...]}`)
		return
	}
	var results []fileResult
	for _, f := range req.Files {
		part, err := mr.NextPart()
		if err != nil || part.FormName() != "files" || partFilename(part) != f.Path {
			errorResponse(w, http.StatusBadRequest, "", "no file content for path "+strconv.Quote(f.Path))
			return
		}
		mode, err := permissions(f.Permissions)
		if err == nil {
			s.do(func(b Backend) {
				err = b.Push(&client.PushOptions{Path: f.Path, Source: part, MakeDirs: f.MakeDirs, Permissions: mode,
					UserID: f.UserID, User: f.User, GroupID: f.GroupID, Group: f.Group})
			})
		}
		results = append(results, resultOf(f.Path, err))
	}
	syncResponse(w, results)
}

// partFilename is a part's filename as sent: the whole path (Go's
// FileName keeps only its base; Pebble's multipartFilename reads the
// header itself for the same reason).
func partFilename(p *multipart.Part) string {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return ""
	}
	return params["filename"]
}

// permissions reads a permissions field: three or four octal digits, or
// none (0) for the backend's default, as Pebble's client leaves it.
func permissions(s string) (os.FileMode, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || (len(s) != 3 && len(s) != 4) {
		return 0, &client.Error{Kind: "generic-file-error", Message: "permissions must be a 3- or 4-digit octal string, got " + strconv.Quote(s)}
	}
	return os.FileMode(n), nil
}
