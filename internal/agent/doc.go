// Package agent is awsmfa's per-user agent: a process that holds the unlocked
// vault and every MFA and role session in memory, and hands credentials to
// awsmfa clients over a unix socket.
//
// # Where it lives
//
// The socket is Dir/agent.sock and the agent's pid is in Dir/agent.pid, where
// Dir is userdirs.RuntimeDir. Dir must be a directory of mode 0700 owned by the
// current user; both the Server and the client refuse any other, because a
// socket in a directory someone else controls could be an impostor that
// collects MFA codes and passphrases.
//
// # Who may talk to it
//
// The Server checks the peer's uid on every connection (SO_PEERCRED on linux,
// LOCAL_PEERCRED on darwin and freebsd) and closes connections from any uid
// other than AllowUID. The client checks the same way that the agent runs as
// the current user. On other systems the check is not available and every
// connection is refused. Windows is not supported: there Run and Connect
// return ErrUnsupported and the CLI works in-process (--no-agent).
//
// # How long it keeps things
//
// The agent forgets everything and exits after IdleTimeout without a
// credentials request (default DefaultIdleTimeout, 2 h) or after Lifetime
// since it started (default DefaultLifetime, 12 h), whichever comes first.
// Only credentials requests count as activity: status, stop, lock, clear and
// forget-vault do not, so a monitoring loop running `awsmfa agent status`
// cannot keep secrets alive.
//
// # Protocol
//
// JSON lines, one object per line, at most MaxMessageSize bytes each. The
// client opens with a hello carrying its version; the agent answers with its
// own. A client of another version may only ask for status or stop; Connect
// uses stop to replace an agent of another version. Then the client sends one
// request at a time (credentials, vault, status, stop, lock, clear,
// forget-vault) and reads one reply. During a credentials or vault request
// the agent may send asks (an MFA code, the vault passphrase, a choice among
// MFA devices) that the client answers through its session.Asker before the
// reply comes. Secrets cross the socket only in the credentials reply, in
// answers, and in a vault put (the key being stored); a vault reply never
// holds one. Nothing secret is logged. Lock, like stop, ends the agent's
// process, and the client waits until it is gone.
package agent
