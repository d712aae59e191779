package session

import (
	"testing"
)

// TestOneSessionWhateverTheRegion guards issue 7 item 21: the region picks
// the endpoint, not the session. One code serves a key's MFA session in every
// region, and a role's credentials are shared across regions too.
func TestOneSessionWhateverTheRegion(t *testing.T) {
	w := newWorld(t, true)
	a := newAsker(w)
	for _, region := range []string{"", "eu-central-1", "us-east-1", "ap-southeast-2"} {
		for _, profile := range []string{"alice", "admin"} {
			r := w.req(profile)
			if region != "" {
				r.Env["AWS_REGION"] = region
			}
			res, err := w.broker.Credentials(t.Context(), r, a)
			if err != nil {
				t.Fatalf("%s in %q: %v", profile, region, err)
			}
			if want := region; want != "" && res.Region != want {
				t.Errorf("%s in %q: result region %q, want the caller's", profile, region, res.Region)
			}
		}
	}
	if a.count() != 1 {
		t.Errorf("%d codes asked, want 1", a.count())
	}
	if n := w.calls("GetSessionToken"); n != 1 {
		t.Errorf("%d GetSessionToken calls, want 1", n)
	}
	if n := w.calls("AssumeRole"); n != 1 {
		t.Errorf("%d AssumeRole calls, want 1", n)
	}
	if s := w.broker.Sessions(); len(s) != 2 {
		t.Errorf("sessions %+v, want one MFA session and one role", s)
	}
}

// TestSessionKeyScope pins what separates MFA sessions: the key and where
// it is sent (a configured endpoint, or AWS's partition), never the region.
func TestSessionKeyScope(t *testing.T) {
	w := newWorld(t, true)
	key := func(env map[string]string) (sessionKey, sts string) {
		t.Helper()
		r := w.req("alice")
		delete(r.Env, "AWS_ENDPOINT_URL")
		for k, v := range env {
			r.Env[k] = v
		}
		p, err := w.broker.resolve(r)
		if err != nil {
			t.Fatal(err)
		}
		return p.sessionKey(), p.ep.sts
	}
	base, baseSTS := key(map[string]string{"AWS_REGION": "eu-central-1"})
	for _, tc := range []struct {
		name string
		env  map[string]string
		same bool
	}{
		{name: "another region", env: map[string]string{"AWS_REGION": "us-west-2"}, same: true},
		{name: "the profile's region", env: nil, same: true},
		{name: "default region variable", env: map[string]string{"AWS_DEFAULT_REGION": "sa-east-1"}, same: true},
		{name: "China partition", env: map[string]string{"AWS_REGION": "cn-north-1"}},
		{name: "GovCloud partition", env: map[string]string{"AWS_REGION": "us-gov-west-1"}},
		{name: "configured endpoint", env: map[string]string{"AWS_REGION": "eu-central-1", "AWS_ENDPOINT_URL": w.emu.URL()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, sts := key(tc.env)
			if (got == base) != tc.same {
				t.Errorf("same session key = %t, want %t", got == base, tc.same)
			}
			if tc.same && tc.env != nil && sts == baseSTS {
				t.Errorf("endpoint %s did not follow the region", sts)
			}
		})
	}
}
