package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/awsmfa/awsmfa/internal/session"
)

// connWriter serialises writes to one connection and bounds each in time.
type connWriter struct {
	mu sync.Mutex
	c  net.Conn
}

func (w *connWriter) write(m message) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.c.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return fmt.Errorf("sending agent message: %w", err)
	}
	return writeMessage(w.c, m)
}

// serve handles one accepted connection until the client leaves, breaks the
// protocol, idles, or the agent stops.
func (r *run) serve(c net.Conn) {
	defer c.Close()
	w := &connWriter{c: c}

	// Messages are read here, under the idle deadline, until a request that
	// may ask the client something arrives. Then a reader goroutine takes
	// over, turning lines into messages, so that the request can notice the
	// client leaving while the Backend works. A client that asks only from
	// the cache (the lean awsmfa) costs no goroutine but this one. Stopping
	// the agent closes the connection, which ends a read in either mode.
	lr := newLineReader(c)
	var in chan message
	done := make(chan struct{})
	defer close(done)
	readFailed := func(err error) {
		if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !errors.Is(err, os.ErrDeadlineExceeded) {
			r.logf("agent: reading from client: %v", err)
		}
	}
	startReader := func() bool {
		if in != nil {
			return true
		}
		if err := c.SetReadDeadline(time.Time{}); err != nil {
			return false
		}
		in = make(chan message)
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			defer close(in)
			for {
				m, err := lr.next()
				if err != nil {
					readFailed(err)
					return
				}
				select {
				case in <- m:
				case <-done:
					return
				}
			}
		}()
		return true
	}

	next := func() (message, bool) {
		if in == nil {
			if err := c.SetReadDeadline(time.Now().Add(connIdleTimeout)); err != nil {
				return message{}, false
			}
			m, err := lr.next()
			if err != nil {
				readFailed(err)
				return message{}, false
			}
			return m, true
		}
		t := time.NewTimer(connIdleTimeout)
		defer t.Stop()
		select {
		case m, ok := <-in:
			return m, ok
		case <-t.C:
			return message{}, false
		case <-r.quit:
			return message{}, false
		}
	}

	hello, ok := next()
	if !ok {
		return
	}
	if hello.Type != msgHello {
		_ = w.write(message{Type: msgReply, Error: &wireError{Msg: "agent protocol: expected hello"}})
		return
	}
	if err := w.write(message{Type: msgHello, Version: r.srv.Version, Proto: ProtocolVersion, PID: os.Getpid()}); err != nil {
		return
	}
	sameVersion := hello.Version == r.srv.Version && hello.Proto == ProtocolVersion

	for {
		m, ok := next()
		if !ok {
			return
		}
		if !r.check(r.clock.Now(), m.Type == msgCredentials) {
			return
		}
		var reply message
		switch {
		case m.Type == msgStatus:
			reply = message{Type: msgReply, Status: r.status()}
		case m.Type == msgStop:
			_ = w.write(message{Type: msgReply})
			r.shutdown("asked to stop")
			return
		case !sameVersion:
			reply = message{Type: msgReply, Error: &wireError{
				Msg:  fmt.Sprintf("agent version %q differs from client version %q", r.srv.Version, hello.Version),
				Hint: "run `awsmfa agent stop`",
			}}
		case m.Type == msgLock:
			// Forgetting is not enough: copies of the secrets stay in the
			// process's memory until it ends. So lock ends the agent.
			r.srv.Backend.Lock()
			_ = w.write(message{Type: msgReply})
			r.shutdown("locked")
			return
		case m.Type == msgClear:
			reply = message{Type: msgReply, Count: r.srv.Backend.Forget(m.Profile)}
		case m.Type == msgForgetVault:
			reply = message{Type: msgReply}
			if vh, ok := r.srv.Backend.(VaultHolder); ok {
				vh.ForgetVault()
			} else {
				reply.Error = &wireError{Kind: session.KindUnsupported, Msg: "this agent holds no vault to forget"}
			}
		case m.Type == msgCredentials && m.Request != nil && m.Request.CachedOnly:
			// Answered from the cache or refused at once, never asking:
			// no relay, which would cost a goroutine per request.
			res, err := r.srv.Backend.Credentials(r.ctx, *m.Request, nil)
			reply = message{Type: msgReply, Result: &res}
			if err != nil {
				reply = message{Type: msgReply, Error: toWire(err)}
			}
		case m.Type == msgCredentials && m.Request != nil:
			if !startReader() {
				return
			}
			req := *m.Request
			reply, ok = r.relay(w, in, func(ctx context.Context, a session.Asker) message {
				res, err := r.srv.Backend.Credentials(ctx, req, a)
				if err != nil {
					return message{Type: msgReply, Error: toWire(err)}
				}
				return message{Type: msgReply, Result: &res}
			})
			if !ok {
				return
			}
		case m.Type == msgVault && m.Vault != nil:
			vs, isVS := r.srv.Backend.(VaultServer)
			if !isVS {
				reply = message{Type: msgReply, Error: &wireError{Kind: session.KindUnsupported, Msg: "this agent serves no vault operations"}}
				break
			}
			if !startReader() {
				return
			}
			req := *m.Vault
			reply, ok = r.relay(w, in, func(ctx context.Context, a session.Asker) message {
				res, err := vs.Vault(ctx, req, a)
				if err != nil {
					return message{Type: msgReply, Error: toWire(err)}
				}
				return message{Type: msgReply, VaultResult: &res}
			})
			if !ok {
				return
			}
		default:
			// The type is not quoted: the line came from outside.
			r.logf("agent: closing a connection that sent an unexpected message")
			return
		}
		if err := w.write(reply); err != nil {
			return
		}
	}
}

func (r *run) status() *Status {
	st := &Status{
		PID:         os.Getpid(),
		Version:     r.srv.Version,
		IdleTimeout: r.idle,
		Lifetime:    r.life,
		Sessions:    r.srv.Backend.Sessions(),
	}
	r.mu.Lock()
	st.Started = r.started
	r.mu.Unlock()
	if vh, ok := r.srv.Backend.(VaultHolder); ok {
		st.VaultOpen = vh.VaultOpen()
	}
	return st
}

// relay runs one request that may ask the client things (credentials, a
// vault operation), relaying run's asks to the client. It reports false when
// the connection is no longer usable (the client left or broke the
// protocol); run has returned either way.
func (r *run) relay(w *connWriter, in <-chan message, run func(ctx context.Context, a session.Asker) message) (message, bool) {
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	a := &connAsker{w: w, answers: make(chan message, 1), gone: make(chan struct{})}
	out := make(chan message, 1)
	go func() { out <- run(ctx, a) }()
	for {
		select {
		case reply := <-out:
			return reply, true
		case m, ok := <-in:
			if ok && m.Type == msgAnswer {
				a.deliver(m)
				continue
			}
			// The client left or sent something other than an answer:
			// whatever is being asked cannot be answered here.
			a.disconnect()
			cancel()
			<-out
			return message{}, false
		}
	}
}

// connAsker is a session.Asker that asks the client on one connection.
type connAsker struct {
	ask     sync.Mutex // one ask at a time on the connection
	w       *connWriter
	answers chan message // capacity 1; holds the answer to pending

	mu       sync.Mutex
	nextID   uint64
	pending  uint64 // id of the ask awaiting an answer; 0 when none
	gone     chan struct{}
	goneOnce sync.Once
}

// errClientGone is what every ask returns after the client disconnected.
func errClientGone() error { return fmt.Errorf("client disconnected: %w", session.ErrCannotAsk) }

func (a *connAsker) disconnect() { a.goneOnce.Do(func() { close(a.gone) }) }

func (a *connAsker) isGone() bool {
	select {
	case <-a.gone:
		return true
	default:
		return false
	}
}

// deliver hands m to the ask it answers; answers to abandoned asks are dropped.
func (a *connAsker) deliver(m message) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if m.ID == 0 || m.ID != a.pending {
		return
	}
	a.pending = 0
	a.answers <- m // cannot block: one answer per pending id, drained before each ask
}

func (a *connAsker) roundTrip(ctx context.Context, m message) (string, error) {
	a.ask.Lock()
	defer a.ask.Unlock()
	if a.isGone() {
		return "", errClientGone()
	}
	a.mu.Lock()
	a.nextID++
	m.ID = a.nextID
	a.pending = m.ID
	select {
	case <-a.answers:
	default:
	}
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.pending = 0
		a.mu.Unlock()
	}()

	if err := a.w.write(m); err != nil {
		return "", fmt.Errorf("asking the client: %w", errors.Join(err, session.ErrCannotAsk))
	}
	select {
	case ans := <-a.answers:
		switch {
		case ans.Error != nil && ans.CannotAsk:
			return "", &session.Error{Kind: ans.Error.Kind, Msg: ans.Error.Msg, Hint: ans.Error.Hint, Err: session.ErrCannotAsk}
		case ans.Error != nil:
			return "", ans.Error.err()
		case ans.CannotAsk:
			return "", fmt.Errorf("client: %w", session.ErrCannotAsk)
		}
		return ans.Value, nil
	case <-a.gone:
		return "", errClientGone()
	case <-ctx.Done():
		if a.isGone() {
			return "", errClientGone()
		}
		// Withdrawn: the client stops (a passphrase command is killed).
		_ = a.w.write(message{Type: msgCancel, ID: m.ID})
		return "", ctx.Err()
	}
}

func (a *connAsker) MFACode(ctx context.Context, ask session.MFAAsk) (string, error) {
	return a.roundTrip(ctx, message{Type: msgAsk, What: askMFACode, MFA: &ask})
}

func (a *connAsker) Passphrase(ctx context.Context, creating bool) (string, error) {
	return a.roundTrip(ctx, message{Type: msgAsk, What: askPassphrase, Creating: creating})
}

// QuietPassphrase asks the client for a passphrase it has without asking a
// person; the client opens no prompt.
func (a *connAsker) QuietPassphrase(ctx context.Context, creating bool) (string, error) {
	return a.roundTrip(ctx, message{Type: msgAsk, What: askPassphrase, Creating: creating, Quiet: true})
}

func (a *connAsker) ChooseDevice(ctx context.Context, profile string, serials []string) (string, error) {
	return a.roundTrip(ctx, message{Type: msgAsk, What: askChooseDevice, Profile: profile, Serials: serials})
}
