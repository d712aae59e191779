package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/awsmfa/awsmfa/internal/fsutil"
	"github.com/awsmfa/awsmfa/internal/session"
)

const (
	// startTimeout bounds the wait for a freshly started agent's socket.
	startTimeout = 3 * time.Second
	// helloTimeout bounds the greeting; a live agent answers at once.
	helloTimeout = 5 * time.Second
	// pollInterval paces the waits for an agent to appear or go.
	pollInterval = 20 * time.Millisecond
	// startLockName guards starting an agent, so that concurrent clients
	// finding none start one between them.
	startLockName = "agent.start"
)

// errNoAgent means nothing listens on the socket (or it does not exist).
var errNoAgent = errors.New("no agent listening")

// ConnectOptions says where the agent is and how to start one.
type ConnectOptions struct {
	// Dir is the runtime directory holding agent.sock.
	Dir string
	// Version is the client's version identity; an agent of another version
	// is replaced.
	Version string
	// Start launches a detached agent serving Dir (see DetachedStart). It
	// may return before the agent listens; Connect waits for the socket. nil
	// means do not start one: Connect returns ErrNotRunning.
	Start func(ctx context.Context) error
}

// DetachedStart returns a ConnectOptions.Start that runs StartDetached with
// these arguments.
func DetachedStart(exe, argv0 string, args, env []string) func(context.Context) error {
	return func(context.Context) error {
		_, err := StartDetached(exe, argv0, args, env)
		return err
	}
}

// Client is a connection to the agent. Its methods may be called from
// several goroutines; requests on one Client run one at a time.
type Client struct {
	sock string
	pid  int // the agent's, from its hello

	mu     sync.Mutex
	conn   net.Conn
	w      *connWriter
	lr     *lineReader
	broken error // set once the connection cannot carry another request
}

// Connect connects to the agent in o.Dir. With no agent there it calls
// o.Start (once among concurrent clients) and waits up to 3 s for the
// socket. An agent of another version is asked to stop and replaced the same
// way. Connect refuses a directory that is not private (ErrUnsafeDir) and an
// agent running as another user.
func Connect(ctx context.Context, o ConnectOptions) (*Client, error) {
	if !supported {
		return nil, ErrUnsupported
	}
	sock, err := socketPath(o.Dir)
	if err != nil {
		return nil, err
	}
	cl, agentVersion, err := dialClient(ctx, o.Dir, sock, o.Version)
	if err == nil && agentVersion == o.Version {
		return cl, nil
	}
	if err != nil && !errors.Is(err, errNoAgent) {
		return nil, err
	}
	if cl != nil {
		cl.Close()
	}
	if o.Start == nil {
		if err == nil {
			return nil, fmt.Errorf("agent version %q is running, want %q: %w", agentVersion, o.Version, ErrNotRunning)
		}
		return nil, ErrNotRunning
	}

	// Creating Dir here (0700) is what the agent would do anyway.
	unlock, err := fsutil.Lock(ctx, filepath.Join(o.Dir, startLockName))
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := checkDir(o.Dir); err != nil {
		return nil, err
	}
	// Another client may have started or replaced the agent while this one
	// waited for the lock.
	cl, agentVersion, err = dialClient(ctx, o.Dir, sock, o.Version)
	switch {
	case err == nil && agentVersion == o.Version:
		return cl, nil
	case err == nil:
		cl.Close()
		if err := stopAgent(ctx, sock); err != nil {
			return nil, err
		}
	case !errors.Is(err, errNoAgent):
		return nil, err
	}

	if err := o.Start(ctx); err != nil {
		return nil, fmt.Errorf("starting the agent: %w", err)
	}
	deadline := time.Now().Add(startTimeout)
	for {
		cl, agentVersion, err := dialClient(ctx, o.Dir, sock, o.Version)
		switch {
		case err == nil && agentVersion == o.Version:
			return cl, nil
		case err == nil:
			cl.Close()
			return nil, fmt.Errorf("the agent started reports version %q, want %q", agentVersion, o.Version)
		case !errors.Is(err, errNoAgent):
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("agent did not start listening on %q within %v", sock, startTimeout)
		}
		if err := sleep(ctx, pollInterval); err != nil {
			return nil, fmt.Errorf("waiting for the agent: %w", err)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// dial connects to sock and checks that the agent runs as the current user.
// Nothing listening is errNoAgent.
func dial(ctx context.Context, sock string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("connecting to %q: %w", sock, errNoAgent)
		}
		return nil, fmt.Errorf("connecting to the agent at %q: %w", sock, err)
	}
	uid, err := connUID(c)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("checking the agent at %q: %w", sock, err)
	}
	if want := os.Getuid(); uid != want {
		c.Close()
		return nil, fmt.Errorf("the agent socket %q is served by uid %d, not %d", sock, uid, want)
	}
	return c, nil
}

// greet exchanges hellos on a fresh connection and returns the agent's.
func greet(c net.Conn, lr *lineReader, w *connWriter, version string) (message, error) {
	if err := c.SetReadDeadline(time.Now().Add(helloTimeout)); err != nil {
		return message{}, fmt.Errorf("greeting the agent: %w", err)
	}
	if err := w.write(message{Type: msgHello, Version: version, Proto: ProtocolVersion}); err != nil {
		return message{}, fmt.Errorf("greeting the agent: %w", err)
	}
	m, err := lr.next()
	if err != nil {
		return message{}, fmt.Errorf("greeting the agent: %w", err)
	}
	if m.Type != msgHello {
		return message{}, errors.New("greeting the agent: unexpected answer")
	}
	if err := c.SetReadDeadline(time.Time{}); err != nil {
		return message{}, fmt.Errorf("greeting the agent: %w", err)
	}
	return m, nil
}

// dialClient connects and greets; it returns the agent's version, and an
// error wrapping errNoAgent when nobody listens or dir does not exist yet.
func dialClient(ctx context.Context, dir, sock, version string) (*Client, string, error) {
	if err := checkDir(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("agent directory %q: %w", dir, errNoAgent)
		}
		return nil, "", err
	}
	c, err := dial(ctx, sock)
	if err != nil {
		return nil, "", err
	}
	cl := &Client{sock: sock, conn: c, w: &connWriter{c: c}, lr: newLineReader(c)}
	hello, err := greet(c, cl.lr, cl.w, version)
	if err != nil {
		c.Close()
		return nil, "", err
	}
	cl.pid = hello.PID
	agentVersion := hello.Version
	if hello.Proto != ProtocolVersion {
		// Another protocol is another version, whatever the label says.
		agentVersion = fmt.Sprintf("%s (protocol %d)", hello.Version, hello.Proto)
	}
	return cl, agentVersion, nil
}

// probe reports whether an agent answers on sock, and its version.
func probe(ctx context.Context, sock string) (bool, string, error) {
	c, err := dial(ctx, sock)
	if errors.Is(err, errNoAgent) {
		return false, "", nil
	}
	if err != nil {
		return false, "", err
	}
	defer c.Close()
	hello, err := greet(c, newLineReader(c), &connWriter{c: c}, "")
	if err != nil {
		return false, "", err
	}
	if hello.Proto != ProtocolVersion {
		return true, fmt.Sprintf("%s (protocol %d)", hello.Version, hello.Proto), nil
	}
	return true, hello.Version, nil
}

// stopAgent asks the agent on sock to stop and waits until nothing answers
// there any more.
func stopAgent(ctx context.Context, sock string) error {
	c, err := dial(ctx, sock)
	if errors.Is(err, errNoAgent) {
		return nil
	}
	if err != nil {
		return err
	}
	lr, w := newLineReader(c), &connWriter{c: c}
	_, err = greet(c, lr, w, "")
	if err == nil {
		err = w.write(message{Type: msgStop})
	}
	if err == nil {
		_ = c.SetReadDeadline(time.Now().Add(helloTimeout))
		_, err = lr.next()
	}
	c.Close()
	if err != nil {
		return fmt.Errorf("asking the agent to stop: %w", err)
	}
	return waitGone(ctx, sock)
}

// waitGone waits, bounded, until no agent answers on sock.
func waitGone(ctx context.Context, sock string) error {
	deadline := time.Now().Add(replaceTimeout)
	for {
		c, err := dial(ctx, sock)
		if errors.Is(err, errNoAgent) {
			return nil
		}
		if err == nil {
			c.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the agent on %q did not stop within %v", sock, replaceTimeout)
		}
		if err := sleep(ctx, pollInterval); err != nil {
			return fmt.Errorf("waiting for the agent to stop: %w", err)
		}
	}
}

// Close closes the connection.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken == nil {
		c.broken = net.ErrClosed
	}
	return c.conn.Close()
}

// call sends m and returns the agent's reply, answering asks through asker
// on the way. After a failure other than an error reply the connection is
// closed: its state is unknown.
func (c *Client) call(ctx context.Context, m message, asker session.Asker) (reply message, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return message{}, fmt.Errorf("agent connection unusable: %w", c.broken)
	}
	// Cancelling ctx interrupts blocked reads and writes.
	stop := context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		stop()
		if err != nil {
			if ctx.Err() != nil {
				err = fmt.Errorf("%w (%w)", ctx.Err(), err)
			}
			c.broken = err
			c.conn.Close()
		}
	}()

	if err := c.w.write(m); err != nil {
		return message{}, err
	}
	// Each ask is answered in a goroutine, so that the agent can withdraw
	// it (cancel) meanwhile. Only the pending ask's answer is sent: once
	// withdrawn, nothing more is written for it. A quiet ask (a passphrase
	// file or command, see session.QuietAsker) ends promptly when
	// withdrawn, and is waited for, so that no passphrase command outlives
	// this call; a person's prompt may not heed its context, and is not.
	var (
		mu      sync.Mutex
		pending uint64
		stopAsk = func() {}
		failed  = make(chan error, 1)
		quiet   sync.WaitGroup
	)
	withdraw := func() {
		mu.Lock()
		pending = 0
		mu.Unlock()
		stopAsk()
	}
	defer func() {
		withdraw()
		quiet.Wait()
	}()
	for {
		in, err := c.lr.next()
		if err != nil {
			select {
			case werr := <-failed:
				err = werr
			default:
			}
			return message{}, fmt.Errorf("reading from the agent: %w", err)
		}
		switch in.Type {
		case msgReply:
			return in, nil
		case msgCancel:
			mu.Lock()
			mine := in.ID != 0 && in.ID == pending
			mu.Unlock()
			if mine {
				withdraw()
			}
		case msgAsk:
			// The agent asks one thing at a time: an earlier ask is over.
			withdraw()
			actx, cancel := context.WithCancel(ctx)
			mu.Lock()
			pending, stopAsk = in.ID, cancel
			mu.Unlock()
			if in.Quiet {
				quiet.Add(1)
			}
			go func(ask message) {
				defer cancel()
				if ask.Quiet {
					defer quiet.Done()
				}
				ans := answer(actx, ask, asker)
				mu.Lock()
				defer mu.Unlock()
				if pending != ask.ID || ctx.Err() != nil {
					return
				}
				pending = 0
				if err := c.w.write(ans); err != nil {
					select {
					case failed <- err:
					default:
					}
					// Unblocks the read above.
					_ = c.conn.SetDeadline(time.Unix(1, 0))
				}
			}(in)
		default:
			return message{}, errors.New("reading from the agent: unexpected message")
		}
	}
}

// answer asks asker what the agent asks.
func answer(ctx context.Context, ask message, asker session.Asker) message {
	ans := message{Type: msgAnswer, ID: ask.ID}
	if asker == nil {
		ans.CannotAsk = true
		ans.Error = &wireError{Kind: session.KindNoCodeSource, Msg: "this client cannot be asked"}
		return ans
	}
	var (
		v   string
		err error
	)
	switch ask.What {
	case askMFACode:
		var a session.MFAAsk
		if ask.MFA != nil {
			a = *ask.MFA
		}
		v, err = asker.MFACode(ctx, a)
	case askPassphrase:
		if !ask.Quiet {
			v, err = asker.Passphrase(ctx, ask.Creating)
		} else if qa, ok := asker.(session.QuietAsker); ok {
			v, err = qa.QuietPassphrase(ctx, ask.Creating)
		} else {
			err = fmt.Errorf("this client has no passphrase but a person's: %w", session.ErrCannotAsk)
		}
	case askChooseDevice:
		v, err = asker.ChooseDevice(ctx, ask.Profile, ask.Serials)
	default:
		err = fmt.Errorf("this client does not understand the agent's question: %w", session.ErrCannotAsk)
	}
	if err != nil {
		ans.Error = toWire(err)
		ans.CannotAsk = errors.Is(err, session.ErrCannotAsk)
		return ans
	}
	ans.Value = v
	return ans
}

// replyErr returns the error an agent reply carries, or nil.
func replyErr(m message) error { return m.Error.err() }

// Credentials asks the agent for req's credentials; asks on the way go to
// asker (nil: this client cannot be asked anything). Failures the Backend
// classified come back as *session.Error with Kind, Msg and Hint intact.
func (c *Client) Credentials(ctx context.Context, req session.Request, asker session.Asker) (session.Result, error) {
	m, err := c.call(ctx, message{Type: msgCredentials, Request: &req}, asker)
	if err != nil {
		return session.Result{}, err
	}
	if err := replyErr(m); err != nil {
		return session.Result{}, err
	}
	if m.Result == nil {
		return session.Result{}, errors.New("agent reply without credentials")
	}
	return *m.Result, nil
}

// Status describes the agent.
func (c *Client) Status(ctx context.Context) (Status, error) {
	m, err := c.call(ctx, message{Type: msgStatus}, nil)
	if err != nil {
		return Status{}, err
	}
	if err := replyErr(m); err != nil {
		return Status{}, err
	}
	if m.Status == nil {
		return Status{}, errors.New("agent reply without status")
	}
	return *m.Status, nil
}

// Stop makes the agent forget everything and exit, and waits (bounded)
// until its process has ended: only then are the secrets it held gone from
// memory.
func (c *Client) Stop(ctx context.Context) error { return c.end(ctx, msgStop) }

// Lock makes the agent forget every session and the unlocked vault. The
// agent then exits, because dropping references leaves copies of secrets in
// its memory until the process ends; Lock waits (bounded) for that, and the
// next command starts a fresh agent.
func (c *Client) Lock(ctx context.Context) error { return c.end(ctx, msgLock) }

// end sends stop or lock and waits for the socket to go and the agent's
// process to end.
func (c *Client) end(ctx context.Context, typ string) error {
	// The watch is opened first, so that the pid cannot be reused by
	// another process in between. An agent inside this very process (tests)
	// cannot be waited for.
	var pw *processWatch
	if c.pid > 0 && c.pid != os.Getpid() {
		pw = watchProcess(c.pid)
		defer pw.close()
	}
	m, err := c.call(ctx, message{Type: typ}, nil)
	if err != nil {
		return err
	}
	if err := replyErr(m); err != nil {
		return err
	}
	c.Close()
	if err := waitGone(ctx, c.sock); err != nil {
		return err
	}
	if pw != nil {
		return pw.wait(ctx, exitTimeout)
	}
	return nil
}

// Clear makes the agent forget profile's sessions ("" = all) and returns how
// many it forgot.
func (c *Client) Clear(ctx context.Context, profile string) (int, error) {
	m, err := c.call(ctx, message{Type: msgClear, Profile: profile}, nil)
	if err != nil {
		return 0, err
	}
	if err := replyErr(m); err != nil {
		return 0, err
	}
	return m.Count, nil
}

// ForgetVault makes the agent drop the unlocked vault but keep sessions.
func (c *Client) ForgetVault(ctx context.Context) error {
	m, err := c.call(ctx, message{Type: msgForgetVault}, nil)
	if err != nil {
		return err
	}
	return replyErr(m)
}
