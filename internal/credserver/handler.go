package credserver

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// rejection is why a request is refused: the status it gets and a reason
// for the log, which never quotes the request (it may carry the token).
type rejection struct {
	status int
	reason string
}

// check returns why r must be refused, or nil. Every check is about the
// request alone; the peer's uid was checked when the connection was
// accepted.
func (s *Server) check(r *http.Request) *rejection {
	if r.Method != http.MethodGet {
		return &rejection{http.StatusMethodNotAllowed, "method " + strconv.Quote(clip(r.Method)) + " is not GET"}
	}
	// RequestURI as sent: no query string (a token there ends up in logs
	// and histories), no absolute form, no second spelling of the path.
	if strings.ContainsAny(r.RequestURI, "?#") {
		return &rejection{http.StatusBadRequest, "a query string"}
	}
	if subtle.ConstantTimeCompare([]byte(r.RequestURI), []byte(s.path)) != 1 {
		return &rejection{http.StatusNotFound, "not the issued path"}
	}
	// r.Host, not r.Header.Get("Host"): Go moves the Host header there. A
	// page on a rebound DNS name reaches 127.0.0.1 with its own name here.
	if r.Host != s.host {
		return &rejection{http.StatusForbidden, "Host is not " + s.host}
	}
	for _, h := range []string{"Origin", "Referer"} {
		if _, ok := r.Header[h]; ok {
			return &rejection{http.StatusForbidden, "an " + h + " header (a browser)"}
		}
	}
	for h := range r.Header {
		if strings.HasPrefix(h, "Sec-Fetch-") {
			return &rejection{http.StatusForbidden, "a " + h + " header (a browser)"}
		}
	}
	if r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
		return &rejection{http.StatusBadRequest, "a request body"}
	}
	auth := r.Header.Values("Authorization")
	switch {
	case len(auth) == 0:
		return &rejection{http.StatusUnauthorized, "no Authorization token"}
	case len(auth) > 1:
		return &rejection{http.StatusUnauthorized, "several Authorization headers"}
	case subtle.ConstantTimeCompare([]byte(auth[0]), s.token) != 1:
		return &rejection{http.StatusUnauthorized, "a wrong Authorization token"}
	}
	return nil
}

// ServeHTTP answers the issued GET with the current credentials and refuses
// everything else.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	if rej := s.check(r); rej != nil {
		s.fail(r.Context(), r.RemoteAddr, rej.reason)
		if rej.status == http.StatusMethodNotAllowed {
			h.Set("Allow", http.MethodGet)
		}
		// A refused client gets no keep-alive to try again on.
		h.Set("Connection", "close")
		writeError(w, rej.status, http.StatusText(rej.status))
		return
	}
	s.failures.Store(0)
	a, err := s.current(r.Context())
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return // the client is gone, or the server closing
		}
		// The Source's error may name a profile or a key id, never a
		// secret; the child sees why its SDK got nothing.
		writeError(w, http.StatusServiceUnavailable, "awsmfa could not get credentials: "+err.Error())
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(a.body)))
	_, _ = w.Write(a.body)
}

// fail counts a refused request, logs it, and past failuresFree failures
// in a row waits out the penalty delay, one failure at a time.
func (s *Server) fail(ctx context.Context, remote, reason string) {
	n := s.refused(remote, reason)
	if n <= failuresFree {
		return
	}
	d := min(firstDelay<<min(n-failuresFree-1, 8), maxDelay)
	s.penalty.Lock()
	defer s.penalty.Unlock()
	s.o.sleep(ctx, d)
}

// refused counts and logs a refusal and returns the failures in a row.
func (s *Server) refused(remote, reason string) int64 {
	s.logf("credential server: refused a request from %s: %s", remote, reason)
	return s.failures.Add(1)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	m, _ := json.Marshal(msg)
	body := `{"code":"` + strconv.Itoa(status) + `","message":` + string(m) + "}\n"
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// clip keeps a client-chosen string short in a log line.
func clip(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}
