package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/awsmfa/awsmfa/internal/totp"
)

// The YubiKey of the scripts: a fake "ykman" on PATH that behaves as the
// YubiKey Manager CLI does for the three commands setup --yubikey uses
// (https://docs.yubico.com/software/yubikey/tools/ykman/OATH_Commands.html):
//
//	ykman oath accounts add [--touch] [--oath-type TOTP] [--force] NAME [SECRET]
//	    with SECRET left off, ykman prompts "Enter a secret key (base32)" and
//	    reads the answer from stdin
//	ykman oath accounts code --single QUERY
//	    prints the current code of the one account QUERY matches
//	ykman oath accounts delete --force QUERY
//
// The fake refuses a SECRET on its command line (awsmfa must never put it in
// argv), appends each call's arguments to $YKMAN_LOG, and keeps its accounts
// in the file $YKMAN_DEVICE, which stands for the YubiKey's own memory (so it
// lies outside $HOME and $TMPDIR, where the canary looks). Codes are those of
// the emulator's clock (AWSEMU_URL), as codes a person reads are those of the
// wall clock the emulator follows.

// ykmanAccount is one OATH account on the fake YubiKey.
type ykmanAccount struct {
	Secret string `json:"secret"` // base32
	Touch  bool   `json:"touch"`
}

func ykmanMain() {
	fail := func(code int, format string, args ...any) {
		fmt.Fprintf(os.Stderr, "Error: "+format+"\n", args...)
		os.Exit(code)
	}
	args := os.Args[1:]
	if log := os.Getenv("YKMAN_LOG"); log != "" {
		f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			fail(1, "%v", err)
		}
		fmt.Fprintln(f, strings.Join(args, " "))
		f.Close()
	}
	device := os.Getenv("YKMAN_DEVICE")
	if device == "" {
		fail(1, "no YubiKey detected (YKMAN_DEVICE unset)")
	}
	if len(args) < 3 || args[0] != "oath" || args[1] != "accounts" {
		fail(2, "the fake ykman knows only: oath accounts add|code|delete")
	}
	accounts := map[string]ykmanAccount{}
	data, err := os.ReadFile(device)
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &accounts); err != nil {
			fail(1, "the YubiKey's memory: %v", err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		fail(1, "%v", err)
	}
	save := func() {
		data, err := json.Marshal(accounts)
		if err == nil {
			err = os.WriteFile(device, data, 0o600)
		}
		if err != nil {
			fail(1, "writing the YubiKey's memory: %v", err)
		}
	}
	sub, flags, pos := args[2], map[string]string{}, []string(nil)
	for rest := args[3:]; len(rest) > 0; rest = rest[1:] {
		switch a := rest[0]; a {
		case "-t", "--touch", "-f", "--force", "-s", "--single":
			flags[strings.TrimLeft(a, "-")[:1]] = "yes"
		case "-o", "--oath-type", "-d", "--digits", "-a", "--algorithm", "-P", "--period", "-i", "--issuer":
			if len(rest) < 2 {
				fail(2, "option %s requires an argument", a)
			}
			flags[a] = rest[1]
			rest = rest[1:]
		default:
			if strings.HasPrefix(a, "-") {
				fail(2, "no such option: %s", a)
			}
			pos = append(pos, a)
		}
	}
	find := func(query string) string {
		if _, ok := accounts[query]; ok {
			return query
		}
		var hits []string
		for name := range accounts {
			if strings.Contains(strings.ToLower(name), strings.ToLower(query)) {
				hits = append(hits, name)
			}
		}
		switch len(hits) {
		case 0:
			fail(1, "No matching account found.")
		case 1:
		default:
			fail(1, "Multiple matches, make the query more specific.")
		}
		return hits[0]
	}
	switch sub {
	case "add":
		if len(pos) == 2 {
			fail(2, "the fake ykman refuses a secret on its command line, where every process can read it")
		}
		if len(pos) != 1 {
			fail(2, "usage: ykman oath accounts add [OPTIONS] NAME [SECRET]")
		}
		if t := flags["--oath-type"]; t != "" && t != "TOTP" {
			fail(2, "the fake ykman makes TOTP accounts only")
		}
		name := pos[0]
		if _, ok := accounts[name]; ok && flags["f"] == "" {
			fail(1, "An account called %s already exists on this YubiKey.", name)
		}
		fmt.Print("Enter a secret key (base32): ")
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			fail(1, "reading the secret key: %v", err)
		}
		seed, err := totp.DecodeSeed(strings.TrimSpace(line))
		if err != nil {
			fail(1, "the secret key is not base32: %v", err)
		}
		fmt.Println()
		accounts[name] = ykmanAccount{Secret: totp.EncodeSeed(seed), Touch: flags["t"] != ""}
		save()
	case "code":
		if flags["s"] == "" || len(pos) != 1 {
			fail(2, "the fake ykman prints codes only with --single QUERY")
		}
		acct := accounts[find(pos[0])]
		seed, err := totp.DecodeSeed(acct.Secret)
		if err != nil {
			fail(1, "%v", err)
		}
		if acct.Touch {
			fmt.Fprintln(os.Stderr, "Touch your YubiKey...")
		}
		now, err := emulatorNow(context.Background())
		if err != nil {
			fail(1, "%v", err)
		}
		fmt.Println(totp.Code(seed, now))
	case "delete":
		if flags["f"] == "" || len(pos) != 1 {
			fail(2, "the fake ykman deletes only with --force QUERY")
		}
		name := find(pos[0])
		delete(accounts, name)
		save()
		fmt.Printf("Deleted %s.\n", name)
	default:
		fail(2, "no such command: %s", sub)
	}
}

// emulatorClock asks (and, with advance, first moves) the clock of the
// script's emulator, through its control API; without an emulator it is the
// wall clock.
func emulatorClock(ctx context.Context, advance time.Duration) (time.Time, error) {
	base := os.Getenv("AWSEMU_URL")
	if base == "" {
		return time.Now(), nil
	}
	method, body := http.MethodGet, []byte(nil)
	if advance != 0 {
		method = http.MethodPost
		body, _ = json.Marshal(map[string]string{"advance": advance.String()})
	}
	req, err := http.NewRequestWithContext(ctx, method, base+"/_awsemu/clock", bytes.NewReader(body))
	if err != nil {
		return time.Time{}, err
	}
	req.Header.Set("X-Awsemu-Token", os.Getenv("AWSEMU_TOKEN"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return time.Time{}, fmt.Errorf("asking the emulator's clock: %w", err)
	}
	defer resp.Body.Close()
	var out struct{ Now time.Time }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		return time.Time{}, fmt.Errorf("asking the emulator's clock: status %d: %v", resp.StatusCode, err)
	}
	return out.Now, nil
}

func emulatorNow(ctx context.Context) (time.Time, error) { return emulatorClock(ctx, 0) }

// testOnlySetupClock puts setup on the emulator's clock when a script sets
// AWSMFA_TEST_SETUP_CLOCK=emulator: its waits for the next TOTP window move
// that clock instead of sleeping, so a script with a frozen emulator needs
// no wall-clock time, and a setup that did not wait would read the same
// code twice (which AWS, and the emulator, refuse).
func testOnlySetupClock(env *Env) {
	if os.Getenv("AWSMFA_TEST_SETUP_CLOCK") != "emulator" {
		return
	}
	env.testOnlySetupNow = func() time.Time {
		now, err := emulatorNow(context.Background())
		if err != nil {
			fmt.Fprintln(os.Stderr, "awsmfa test clock:", err)
			os.Exit(3)
		}
		return now
	}
	env.testOnlySetupSleep = func(ctx context.Context, d time.Duration) error {
		_, err := emulatorClock(ctx, d)
		return err
	}
}
