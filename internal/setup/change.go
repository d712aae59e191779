package setup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/awsmfa/awsmfa/internal/awsconfig"
	"github.com/awsmfa/awsmfa/internal/fsutil"
)

// Kind names a change setup makes; each has an inverse (see undo).
type Kind string

// The changes. Setup plans a list of them, applies them in order, records
// each one applied, and undoes them last first.
const (
	KindImportKey        Kind = "import-key"         // the key moves into the vault (kept there on undo)
	KindEnrollDevice     Kind = "enroll-device"      // a virtual MFA device created and enabled
	KindSetProfileKey    Kind = "set-profile-key"    // a key = value in the key profile
	KindCreateRole       Kind = "create-role"        // the role with the MFA trust policy
	KindAttachRolePolicy Kind = "attach-role-policy" // a managed policy on the role
	KindPutRolePolicy    Kind = "put-role-policy"    // an inline policy on the role
	KindRoleProfile      Kind = "role-profile"       // the role's profile in the config file
	KindWire             Kind = "wire"               // credential_process on the key profile
	KindPutUserPolicy    Kind = "put-user-policy"    // awsmfa's inline policy on the user
	KindDetachUser       Kind = "detach-user-policy" // a managed policy taken off the user
	KindDeleteUserPolicy Kind = "delete-user-policy" // an inline policy taken off the user
	KindLeaveGroup       Kind = "leave-group"        // the user removed from a group
	KindProveRole        Kind = "prove-role"         // a check: the role can be assumed with MFA
	KindProveLock        Kind = "prove-lock"         // a check: the key alone is denied, MFA allowed
)

// Change is one step of a plan. Only the fields its Kind uses are set. It
// holds names, ARNs and policy documents, never a secret.
type Change struct {
	Kind       Kind   `json:"kind"`
	User       string `json:"user,omitempty"`
	Serial     string `json:"serial,omitempty"`
	Device     string `json:"device,omitempty"` // the device name to create
	Profile    string `json:"profile,omitempty"`
	Key        string `json:"key,omitempty"`
	Value      string `json:"value,omitempty"`
	Old        string `json:"old,omitempty"`
	HadOld     bool   `json:"had_old,omitempty"`
	Role       string `json:"role,omitempty"`
	RoleARN    string `json:"role_arn,omitempty"`
	MaxSession int32  `json:"max_session,omitempty"`
	PolicyARN  string `json:"policy_arn,omitempty"`
	PolicyName string `json:"policy_name,omitempty"`
	Document   string `json:"document,omitempty"`
	Group      string `json:"group,omitempty"`
	Region     string `json:"region,omitempty"`
}

// isCheck reports whether c changes nothing (a proof).
func (c Change) isCheck() bool { return c.Kind == KindProveRole || c.Kind == KindProveLock }

// String is the plan's line for c.
func (c Change) String() string {
	switch c.Kind {
	case KindImportKey:
		return fmt.Sprintf("move the key of profile %s from the credentials file into the vault", c.Profile)
	case KindEnrollDevice:
		return fmt.Sprintf("create virtual MFA device %s for user %s and enable it with two codes", c.Device, c.User)
	case KindSetProfileKey:
		if c.HadOld {
			return fmt.Sprintf("profile %s: set %s = %s (was %s)", c.Profile, c.Key, c.Value, c.Old)
		}
		return fmt.Sprintf("profile %s: set %s = %s", c.Profile, c.Key, c.Value)
	case KindCreateRole:
		return fmt.Sprintf("create role %s that only user %s may assume, only with MFA; sessions up to %ds", c.Role, c.User, c.MaxSession)
	case KindAttachRolePolicy:
		return fmt.Sprintf("attach %s to role %s", c.PolicyARN, c.Role)
	case KindPutRolePolicy:
		return fmt.Sprintf("give role %s a copy of inline policy %s", c.Role, c.PolicyName)
	case KindRoleProfile:
		return fmt.Sprintf("add profile %s: role_arn = %s, source_profile = %s", c.Profile, c.RoleARN, c.Value)
	case KindWire:
		return fmt.Sprintf("wire profile %s: credential_process = %s", c.Profile, c.Value)
	case KindPutUserPolicy:
		return fmt.Sprintf("put inline policy %s on user %s", c.PolicyName, c.User)
	case KindDetachUser:
		return fmt.Sprintf("detach %s from user %s", c.PolicyARN, c.User)
	case KindDeleteUserPolicy:
		return fmt.Sprintf("delete inline policy %s of user %s (recorded, restored by --undo)", c.PolicyName, c.User)
	case KindLeaveGroup:
		return fmt.Sprintf("remove user %s from group %s", c.User, c.Group)
	case KindProveRole:
		return fmt.Sprintf("prove that role %s can be assumed with one MFA code, before any permission of the user goes", c.Role)
	case KindProveLock:
		return "prove the lock with awsmfa audit's IAM checks: the key alone is denied S3 ListBuckets and every high-value action; with MFA it is allowed"
	}
	return string(c.Kind)
}

// Record is what setup changed for one profile, kept where only the user can
// read it, so that --undo restores the account and the files.
type Record struct {
	Profile  string   `json:"profile"`
	UserARN  string   `json:"user_arn"`
	Strategy Strategy `json:"strategy"`
	Serial   string   `json:"serial,omitempty"`
	RoleARN  string   `json:"role_arn,omitempty"`
	// Complete is set once the lock was proven.
	Complete bool     `json:"complete,omitempty"`
	Changes  []Change `json:"changes"`
}

// RecordPath is where the record of profile is kept in dataDir.
func RecordPath(dataDir, profile string) string {
	return filepath.Join(dataDir, "setup", url.PathEscape(profile)+".json")
}

// LoadRecord reads a record; a missing one is an empty record.
func LoadRecord(path string) (*Record, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Record{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the setup record: %w", err)
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("reading the setup record %q: %w", path, err)
	}
	return &r, nil
}

// save writes r atomically with mode 0600 in a 0700 directory; an empty
// record removes the file.
func (r *Record) save(ctx context.Context, path string) error {
	if len(r.Changes) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing the setup record: %w", err)
		}
		return nil
	}
	if err := fsutil.EnsurePrivateDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("writing the setup record: %w", err)
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	unlock, err := fsutil.Lock(ctx, path)
	if err != nil {
		return fmt.Errorf("writing the setup record: %w", err)
	}
	defer func() { _ = unlock() }()
	if err := fsutil.WriteFileAtomic(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing the setup record: %w", err)
	}
	return nil
}

// undo applies the inverse of c with the long-term key. deleteDevice says
// whether an enrolled device goes too (always on a rollback; on --undo only
// with --delete-device).
func (r *runner) undo(ctx context.Context, c Change, deleteDevice bool) error {
	paths := r.env.Paths
	step := "undoing: " + c.String()
	switch c.Kind {
	case KindImportKey:
		r.say("note: the key of profile %s stays in the vault (awsmfa list shows it)", c.Profile)
		return nil
	case KindEnrollDevice:
		if !deleteDevice {
			r.say("note: MFA device %s stays enabled (--delete-device removes it)", c.Serial)
			return nil
		}
		return r.deleteDevice(ctx, c.User, c.Serial, true)
	case KindSetProfileKey:
		if c.HadOld {
			return awsconfig.SetProfileKey(ctx, paths, c.Profile, c.Key, c.Old)
		}
		if err := awsconfig.RemoveCredentials(ctx, paths, c.Profile, c.Key); err != nil {
			return err
		}
		// The profile itself stays, even with no key left: its key is in
		// the vault, found through the section.
		return awsconfig.AddProfile(ctx, paths, c.Profile)
	case KindCreateRole:
		err := r.withIAM(ctx, func(api IAM) error {
			_, err := api.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(c.Role)})
			return err
		})
		if isNoSuchEntity(err) {
			err = nil
		}
		return call(step, "iam:DeleteRole", err)
	case KindAttachRolePolicy:
		err := r.withIAM(ctx, func(api IAM) error {
			_, err := api.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(c.Role), PolicyArn: aws.String(c.PolicyARN)})
			return err
		})
		if isNoSuchEntity(err) {
			err = nil
		}
		return call(step, "iam:DetachRolePolicy", err)
	case KindPutRolePolicy:
		err := r.withIAM(ctx, func(api IAM) error {
			_, err := api.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(c.Role), PolicyName: aws.String(c.PolicyName)})
			return err
		})
		if isNoSuchEntity(err) {
			err = nil
		}
		return call(step, "iam:DeleteRolePolicy", err)
	case KindRoleProfile:
		return awsconfig.RemoveCredentials(ctx, paths, c.Profile, "role_arn", "source_profile", "region")
	case KindWire:
		_, err := awsconfig.Unwire(ctx, paths, c.Profile)
		return err
	case KindPutUserPolicy:
		var err error
		if c.HadOld {
			err = r.withIAM(ctx, func(api IAM) error {
				_, err := api.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(c.User), PolicyName: aws.String(c.PolicyName), PolicyDocument: aws.String(c.Old)})
				return err
			})
			return call(step, "iam:PutUserPolicy", err)
		}
		err = r.withIAM(ctx, func(api IAM) error {
			_, err := api.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(c.User), PolicyName: aws.String(c.PolicyName)})
			return err
		})
		if isNoSuchEntity(err) {
			err = nil
		}
		return call(step, "iam:DeleteUserPolicy", err)
	case KindDetachUser:
		err := r.withIAM(ctx, func(api IAM) error {
			_, err := api.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(c.User), PolicyArn: aws.String(c.PolicyARN)})
			return err
		})
		return call(step, "iam:AttachUserPolicy", err)
	case KindDeleteUserPolicy:
		err := r.withIAM(ctx, func(api IAM) error {
			_, err := api.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(c.User), PolicyName: aws.String(c.PolicyName), PolicyDocument: aws.String(c.Document)})
			return err
		})
		return call(step, "iam:PutUserPolicy", err)
	case KindLeaveGroup:
		err := r.withIAM(ctx, func(api IAM) error {
			_, err := api.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(c.User), GroupName: aws.String(c.Group)})
			return err
		})
		return call(step, "iam:AddUserToGroup", err)
	}
	return nil
}
