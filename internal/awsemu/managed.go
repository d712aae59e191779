package awsemu

import "time"

// awsManagedPrefix starts the ARNs of AWS managed policies.
const awsManagedPrefix = "arn:aws:iam::aws:policy/"

// awsManagedPolicies returns the AWS managed policies the emulator knows,
// keyed by ARN, as the AWS Managed Policy Reference
// (docs.aws.amazon.com/aws-managed-policy/latest/reference/) lists them:
// documents, default versions and creation times. They are the same in every
// account, are not part of the state and cannot be changed or deleted.
//
// ReadOnlyAccess is reduced: the real document lists the read actions of
// every service (hundreds of entries). This one keeps the same kind of
// entries (Describe*, Get*, List* and a few named reads) for the services
// awsmfa's setup, audit and tests touch, and nothing that writes or that AWS
// leaves out of it (kms:Decrypt, secretsmanager:GetSecretValue,
// ec2:RunInstances). Its version id is the emulator's own.
func awsManagedPolicies() map[string]*managedPolicy {
	created := time.Date(2015, 2, 6, 18, 39, 0, 0, time.UTC)
	list := []*managedPolicy{
		{
			Name: "AdministratorAccess", ID: "ANPAIWMBCKSKIEE64ZLYK", Version: "v1", Created: created,
			Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		},
		{
			Name: "PowerUserAccess", ID: "ANPAEMUPOWERUSERACCES", Version: "v12", Created: created,
			Document: `{"Version":"2012-10-17","Statement":[` +
				`{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},` +
				`{"Effect":"Allow","Action":["account:GetAccountInformation","account:GetGovCloudAccountInformation",` +
				`"account:GetPrimaryEmail","account:ListRegions","iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole",` +
				`"iam:ListRoles","organizations:DescribeEffectivePolicy","organizations:DescribeOrganization"],"Resource":"*"}]}`,
		},
		{
			Name: "ReadOnlyAccess", ID: "ANPAEMUREADONLYACCESS", Version: "v1", Created: created,
			Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[` +
				`"acm:Describe*","acm:Get*","acm:List*",` +
				`"cloudformation:Describe*","cloudformation:Get*","cloudformation:List*",` +
				`"cloudtrail:Describe*","cloudtrail:Get*","cloudtrail:List*","cloudtrail:LookupEvents",` +
				`"cloudwatch:Describe*","cloudwatch:Get*","cloudwatch:List*",` +
				`"dynamodb:BatchGetItem","dynamodb:Describe*","dynamodb:Get*","dynamodb:List*","dynamodb:Query","dynamodb:Scan",` +
				`"ec2:Describe*","ec2:Get*",` +
				`"ecr:BatchGetImage","ecr:Describe*","ecr:Get*","ecr:List*",` +
				`"iam:Generate*","iam:Get*","iam:List*","iam:Simulate*",` +
				`"kms:Describe*","kms:Get*","kms:List*",` +
				`"lambda:Get*","lambda:List*",` +
				`"logs:Describe*","logs:FilterLogEvents","logs:Get*","logs:List*",` +
				`"rds:Describe*","rds:List*",` +
				`"route53:Get*","route53:List*",` +
				`"s3:Describe*","s3:Get*","s3:List*",` +
				`"secretsmanager:Describe*","secretsmanager:GetResourcePolicy","secretsmanager:List*",` +
				`"sns:Get*","sns:List*","sqs:Get*","sqs:List*",` +
				`"ssm:Describe*","ssm:Get*","ssm:List*"` +
				`],"Resource":"*"}]}`,
		},
		{
			Name: "IAMUserChangePassword", ID: "ANPAEMUIAMUSERCHANGEP", Version: "v3",
			Created: time.Date(2016, 11, 15, 0, 25, 0, 0, time.UTC),
			Document: `{"Version":"2012-10-17","Statement":[` +
				`{"Effect":"Allow","Action":["iam:ChangePassword"],"Resource":["arn:aws:iam::*:user/${aws:username}","arn:aws:iam::*:user/*/${aws:username}"]},` +
				`{"Effect":"Allow","Action":["iam:GetAccountPasswordPolicy"],"Resource":"*"}]}`,
		},
	}
	out := make(map[string]*managedPolicy, len(list))
	for _, mp := range list {
		mp.ARN, mp.Path, mp.AWS = awsManagedPrefix+mp.Name, "/", true
		out[mp.ARN] = mp
	}
	return out
}

// policyLocked finds a customer or AWS managed policy by ARN.
func (s *Server) policyLocked(arn string) *managedPolicy {
	if mp := s.st.Policies[arn]; mp != nil {
		return mp
	}
	return s.awsPolicies[arn]
}
