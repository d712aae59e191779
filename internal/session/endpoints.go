package session

// Endpoints says where the AWS calls for a profile go, and which profile
// holds its long-term key, for capabilities that call AWS themselves with
// the credentials a Broker hands out (rotate).
type Endpoints struct {
	// KeyProfile is the profile at the end of the source chain, whose
	// long-term key is in the vault.
	KeyProfile string
	Region     string // signing region for STS
	STS        string
	IAM        string
	IAMRegion  string
}

// ResolveEndpoints resolves req's profile against the caller's config files
// as Credentials does. It touches no network and no vault.
func ResolveEndpoints(req Request) (Endpoints, error) {
	var b Broker
	p, err := b.resolve(req)
	if err != nil {
		return Endpoints{}, err
	}
	return Endpoints{KeyProfile: p.base.Name, Region: p.ep.region, STS: p.ep.sts, IAM: p.ep.iam, IAMRegion: p.ep.iamRegion}, nil
}
