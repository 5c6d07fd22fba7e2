package serve

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestWriteCGIResponse checks the parsing of a handler's output into a
// response: headers, status, and a body of any length after them.
func TestWriteCGIResponse(t *testing.T) {
	big := strings.Repeat("x", 100_000)
	tests := []struct {
		name   string
		out    string
		status int
		body   string
		fails  bool
	}{
		{"content type", "Content-Type: text/plain\n\nhello\n", 200, "hello\n", false},
		{"CRLF", "Content-Type: text/plain\r\n\r\nhi", 200, "hi", false},
		{"status", "Status: 404 Not Found\nContent-Type: text/plain\n\nnone", 404, "none", false},
		{"redirect", "Location: /elsewhere\n\n", 302, "", false},
		{"a body past the reader's buffer", "Content-Type: text/plain\n\n" + big, 200, big, false},
		{"no content type", "X-A: b\n\nbody", 0, "", true},
		{"informational status", "Status: 100 Continue\nContent-Type: text/plain\n\n", 0, "", true},
		{"bad status", "Status: abc\nContent-Type: text/plain\n\n", 0, "", true},
		{"no header end", "Content-Type: text/plain", 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			err := writeCGIResponse(w, []byte(tt.out))
			if tt.fails {
				if err == nil {
					t.Fatalf("accepted, answering %d %q", w.Code, w.Body.String())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w.Code != tt.status || w.Body.String() != tt.body {
				t.Errorf("answered %d with %d bytes, want %d with %d", w.Code, w.Body.Len(), tt.status, len(tt.body))
			}
		})
	}
}

// FuzzWriteCGIResponse feeds the parser a handler's output, which a
// tenant's program writes: it must answer or refuse, never panic, and
// an answer's body is a suffix of the output.
func FuzzWriteCGIResponse(f *testing.F) {
	for _, s := range []string{
		"Content-Type: text/plain\n\nhello\n",
		"Status: 404 Not Found\nContent-Type: text/plain\n\nnone",
		"Location: /x\n\n",
		"Content-Type: a\r\nX: y\r\n\r\nbody",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		w := httptest.NewRecorder()
		if err := writeCGIResponse(w, out); err == nil && !strings.HasSuffix(string(out), w.Body.String()) {
			t.Fatalf("body %q is not the end of the output %q", w.Body.String(), out)
		}
	})
}
