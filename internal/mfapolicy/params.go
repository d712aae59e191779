package mfapolicy

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrInvalidParam is matched (errors.Is) by every refusal of a parameter: an
// account id, user or role name, partition or MFA age of the wrong shape.
var ErrInvalidParam = errors.New("invalid parameter")

// ErrMalformedDocument is matched by every failure to read a policy document.
var ErrMalformedDocument = errors.New("malformed policy document")

// Defaults for Params' zero values.
const (
	// DefaultPartition is the commercial AWS partition.
	DefaultPartition = "aws"
	// DefaultRoleName is the role awsmfa's role strategy creates when no name
	// is given.
	DefaultRoleName = "awsmfa-role"
	// DefaultMaxMFAAge is the trust policy's limit on aws:MultiFactorAuthAge:
	// awsmfa's MFA session length (session.DefaultSessionDuration, 8 h), so a
	// role can be assumed from an MFA session for as long as it lasts.
	DefaultMaxMFAAge = 8 * time.Hour
)

// AWS's limits on an MFA age: those of the sessions GetSessionToken hands out
// (900 s to 36 h). An age limit outside them either rejects every session or
// never applies.
const (
	MinMFAAge = 900 * time.Second
	MaxMFAAge = 129600 * time.Second
)

// Partitions lists the partitions awsmfa writes ARNs for.
var partitions = []string{"aws", "aws-cn", "aws-us-gov"}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	// IAM's rule for user and role names: [\w+=,.@-]{1,64}; \w is ASCII.
	nameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	// IAM's rule for paths: "/" or /…/ of printable ASCII, at most 512.
	pathRE = regexp.MustCompile(`^(/|/[\x21-\x7e]{1,510}/)$`)
)

// Params name what the documents are written for. Zero values take the
// defaults above; Account and User have none.
type Params struct {
	Partition string
	Account   string
	User      string
	// UserPath is the user's IAM path, "/" when empty. GetCallerIdentity
	// reports it inside the user's ARN.
	UserPath string
	// Roles are the roles the user policy lets the user assume with MFA;
	// empty means DefaultRoleName. The trust policy is the same for each.
	Roles []string
	// MaxMFAAge bounds aws:MultiFactorAuthAge in the trust policy.
	MaxMFAAge time.Duration
}

func (p Params) partition() string {
	if p.Partition == "" {
		return DefaultPartition
	}
	return p.Partition
}

func (p Params) userPath() string {
	if p.UserPath == "" {
		return "/"
	}
	return p.UserPath
}

func (p Params) roles() []string {
	if len(p.Roles) == 0 {
		return []string{DefaultRoleName}
	}
	return p.Roles
}

func (p Params) maxMFAAge() time.Duration {
	if p.MaxMFAAge == 0 {
		return DefaultMaxMFAAge
	}
	return p.MaxMFAAge
}

// UserARN is the ARN of p's user.
func (p Params) UserARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:user%s%s", p.partition(), p.Account, p.userPath(), p.User)
}

// RoleARN is the ARN of role name in p's account.
func (p Params) RoleARN(name string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", p.partition(), p.Account, name)
}

// Validate checks every set field, and that Account and User are set.
func (p Params) Validate() error {
	if err := p.validateOptional(); err != nil {
		return err
	}
	if p.Account == "" {
		return fmt.Errorf("no account id given: %w", ErrInvalidParam)
	}
	if p.User == "" {
		return fmt.Errorf("no user name given: %w", ErrInvalidParam)
	}
	return nil
}

// validateOptional checks the fields that are set, and lets Account and User
// be empty (templates then ask for them as parameters).
func (p Params) validateOptional() error {
	if err := ValidatePartition(p.partition()); err != nil {
		return err
	}
	if p.Account != "" {
		if err := ValidateAccount(p.Account); err != nil {
			return err
		}
	}
	if p.User != "" {
		if err := ValidateUserName(p.User); err != nil {
			return err
		}
	}
	if !pathRE.MatchString(p.userPath()) {
		return fmt.Errorf("user path %q is not an IAM path (\"/\" or /…/ of printable ASCII): %w", p.UserPath, ErrInvalidParam)
	}
	for _, r := range p.Roles {
		if err := ValidateRoleName(r); err != nil {
			return err
		}
	}
	return ValidateMaxMFAAge(p.maxMFAAge())
}

// ValidateAccount checks an AWS account id: 12 digits.
func ValidateAccount(id string) error {
	if !accountRE.MatchString(id) {
		return fmt.Errorf("account id %q is not 12 digits: %w", id, ErrInvalidParam)
	}
	return nil
}

// ValidateUserName checks an IAM user name against IAM's rule.
func ValidateUserName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("user name %q is not an IAM name (1 to 64 of letters, digits and +=,.@_-): %w", name, ErrInvalidParam)
	}
	return nil
}

// ValidateRoleName checks an IAM role name against IAM's rule.
func ValidateRoleName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("role name %q is not an IAM name (1 to 64 of letters, digits and +=,.@_-): %w", name, ErrInvalidParam)
	}
	return nil
}

// ValidatePartition checks that awsmfa knows the partition.
func ValidatePartition(p string) error {
	if !slices.Contains(partitions, p) {
		return fmt.Errorf("partition %q is not one of aws, aws-cn, aws-us-gov: %w", p, ErrInvalidParam)
	}
	return nil
}

// ValidateMaxMFAAge checks an MFA age limit: whole seconds within AWS's
// session lengths.
func ValidateMaxMFAAge(d time.Duration) error {
	if d%time.Second != 0 || d < MinMFAAge || d > MaxMFAAge {
		return fmt.Errorf("max MFA age %s is not whole seconds from %s (900 s) to %s (129600 s): %w",
			d, MinMFAAge, MaxMFAAge, ErrInvalidParam)
	}
	return nil
}

func seconds(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }

// ErrNotAUser is matched when an identity is not an IAM user (the account
// root, a role): awsmfa locks IAM users' access keys only.
var ErrNotAUser = errors.New("not an IAM user")

// UserFromARN fills Partition, Account, UserPath and User from an IAM user's
// ARN, as GetCallerIdentity reports it (arn:PARTITION:iam::ACCOUNT:user/PATH/NAME).
func UserFromARN(arn string) (Params, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" && parts[2] != "sts" {
		return Params{}, fmt.Errorf("identity %q is not an AWS ARN: %w", arn, ErrInvalidParam)
	}
	res := parts[5]
	switch {
	case res == "root":
		return Params{}, fmt.Errorf("the key belongs to the account root (%s), not an IAM user: %w", arn, ErrNotAUser)
	case parts[2] != "iam" || !strings.HasPrefix(res, "user/"):
		return Params{}, fmt.Errorf("the key belongs to %s, not an IAM user: %w", arn, ErrNotAUser)
	}
	rest := strings.TrimPrefix(res, "user")
	i := strings.LastIndexByte(rest, '/')
	p := Params{Partition: parts[1], Account: parts[4], UserPath: rest[:i+1], User: rest[i+1:]}
	if err := p.Validate(); err != nil {
		return Params{}, fmt.Errorf("identity %q: %w", arn, err)
	}
	return p, nil
}
