package awsemu

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"slices"
	"strconv"
)

// The two "test it out" probes of the seed articles: "aws s3 ls" (S3
// ListBuckets) and "aws ec2 describe-regions" (EC2 DescribeRegions). They
// answer static data; what they prove is the identity-policy evaluation in
// front of them, with S3's AccessDenied and EC2's UnauthorizedOperation.

type s3Bucket struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
}

type listAllMyBucketsResult struct {
	XMLName   xml.Name   `xml:"ListAllMyBucketsResult"`
	Xmlns     string     `xml:"xmlns,attr"`
	OwnerID   string     `xml:"Owner>ID"`
	OwnerName string     `xml:"Owner>DisplayName"`
	Buckets   []s3Bucket `xml:"Buckets>Bucket"`
}

// StaticBuckets are the buckets S3 ListBuckets answers, in order.
func StaticBuckets() []string { return []string{"awsemu-example-data", "awsemu-example-logs"} }

func listBuckets(c *call) (any, *apiError) {
	if aerr := c.authorize("*"); aerr != nil {
		return nil, aerr
	}
	// The owner's canonical user ID is 64 hex digits; derive a stable one.
	sum := sha256.Sum256([]byte("awsemu canonical user " + c.s.st.Account))
	res := listAllMyBucketsResult{Xmlns: s3Namespace, OwnerID: hex.EncodeToString(sum[:]), OwnerName: c.s.st.Admin}
	for _, name := range StaticBuckets() {
		res.Buckets = append(res.Buckets, s3Bucket{Name: name, CreationDate: "2024-01-02T03:04:05.000Z"})
	}
	return res, nil
}

type ec2Region struct {
	RegionName     string `xml:"regionName"`
	RegionEndpoint string `xml:"regionEndpoint"`
	OptInStatus    string `xml:"optInStatus"`
}

type describeRegionsResult struct {
	Regions []ec2Region `xml:"regionInfo>item"`
}

// StaticRegions are the regions EC2 DescribeRegions answers: those enabled
// by default in every account.
func StaticRegions() []string {
	return []string{"ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
		"ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1",
		"us-east-1", "us-east-2", "us-west-1", "us-west-2"}
}

func describeRegions(c *call) (any, *apiError) {
	if aerr := c.authorize("*"); aerr != nil {
		return nil, aerr
	}
	// RegionName.N, EC2's list encoding, narrows the answer.
	var names []string
	for i := 1; i <= maxListMembers; i++ {
		v := c.params.Get("RegionName." + strconv.Itoa(i))
		if v == "" {
			break
		}
		names = append(names, v)
	}
	res := describeRegionsResult{Regions: []ec2Region{}}
	for _, r := range StaticRegions() {
		if len(names) > 0 && !slices.Contains(names, r) {
			continue
		}
		res.Regions = append(res.Regions, ec2Region{RegionName: r, RegionEndpoint: "ec2." + r + ".amazonaws.com", OptInStatus: "opt-in-not-required"})
	}
	return res, nil
}
