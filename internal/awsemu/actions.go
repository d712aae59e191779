package awsemu

// actionSpec is one supported query-protocol action.
type actionSpec struct {
	service string // "sts", "iam", "ec2" or "s3": the protocol and the policy action prefix
	fn      func(c *call) (any, *apiError)
	// policyAction is the IAM action authorized, when it is not
	// service:Action (S3's ListBuckets is s3:ListAllMyBuckets).
	policyAction string
}

// lookupAction maps an Action parameter to its implementation. Action names
// of STS and IAM do not overlap, so one endpoint serves both.
func lookupAction(name string) (actionSpec, bool) {
	sts := func(fn func(*call) (any, *apiError)) (actionSpec, bool) {
		return actionSpec{service: "sts", fn: fn}, true
	}
	iam := func(fn func(*call) (any, *apiError)) (actionSpec, bool) {
		return actionSpec{service: "iam", fn: fn}, true
	}
	switch name {
	case "GetCallerIdentity":
		return sts(getCallerIdentity)
	case "GetSessionToken":
		return sts(getSessionToken)
	case "AssumeRole":
		return sts(assumeRole)
	case "GetFederationToken":
		return sts(getFederationToken)

	case "CreateUser":
		return iam(createUser)
	case "GetUser":
		return iam(getUser)
	case "ListUsers":
		return iam(listUsers)
	case "DeleteUser":
		return iam(deleteUser)
	case "CreateAccessKey":
		return iam(createAccessKey)
	case "ListAccessKeys":
		return iam(listAccessKeys)
	case "UpdateAccessKey":
		return iam(updateAccessKey)
	case "DeleteAccessKey":
		return iam(deleteAccessKey)
	case "GetAccessKeyLastUsed":
		return iam(getAccessKeyLastUsed)
	case "CreateVirtualMFADevice":
		return iam(createVirtualMFADevice)
	case "EnableMFADevice":
		return iam(enableMFADevice)
	case "ListMFADevices":
		return iam(listMFADevices)
	case "ListVirtualMFADevices":
		return iam(listVirtualMFADevices)
	case "DeactivateMFADevice":
		return iam(deactivateMFADevice)
	case "DeleteVirtualMFADevice":
		return iam(deleteVirtualMFADevice)
	case "CreateRole":
		return iam(createRole)
	case "GetRole":
		return iam(getRole)
	case "ListRoles":
		return iam(listRoles)
	case "UpdateRole":
		return iam(updateRole)
	case "UpdateAssumeRolePolicy":
		return iam(updateAssumeRolePolicy)
	case "DeleteRole":
		return iam(deleteRole)
	case "PutUserPolicy":
		return iam(putInlinePolicy("user"))
	case "GetUserPolicy":
		return iam(getInlinePolicy("user"))
	case "ListUserPolicies":
		return iam(listInlinePolicies("user"))
	case "DeleteUserPolicy":
		return iam(deleteInlinePolicy("user"))
	case "PutRolePolicy":
		return iam(putInlinePolicy("role"))
	case "GetRolePolicy":
		return iam(getInlinePolicy("role"))
	case "ListRolePolicies":
		return iam(listInlinePolicies("role"))
	case "DeleteRolePolicy":
		return iam(deleteInlinePolicy("role"))
	case "CreatePolicy":
		return iam(createPolicy)
	case "GetPolicy":
		return iam(getPolicy)
	case "GetPolicyVersion":
		return iam(getPolicyVersion)
	case "ListPolicies":
		return iam(listPolicies)
	case "DeletePolicy":
		return iam(deletePolicy)
	case "AttachUserPolicy":
		return iam(attachPolicy("user"))
	case "DetachUserPolicy":
		return iam(detachPolicy("user"))
	case "ListAttachedUserPolicies":
		return iam(listAttachedPolicies("user"))
	case "AttachRolePolicy":
		return iam(attachPolicy("role"))
	case "DetachRolePolicy":
		return iam(detachPolicy("role"))
	case "ListAttachedRolePolicies":
		return iam(listAttachedPolicies("role"))
	case "CreateGroup":
		return iam(createGroup)
	case "GetGroup":
		return iam(getGroup)
	case "ListGroups":
		return iam(listGroups)
	case "ListGroupsForUser":
		return iam(listGroupsForUser)
	case "DeleteGroup":
		return iam(deleteGroup)
	case "AddUserToGroup":
		return iam(addUserToGroup)
	case "RemoveUserFromGroup":
		return iam(removeUserFromGroup)
	case "PutGroupPolicy":
		return iam(putInlinePolicy("group"))
	case "GetGroupPolicy":
		return iam(getInlinePolicy("group"))
	case "ListGroupPolicies":
		return iam(listInlinePolicies("group"))
	case "DeleteGroupPolicy":
		return iam(deleteInlinePolicy("group"))
	case "AttachGroupPolicy":
		return iam(attachPolicy("group"))
	case "DetachGroupPolicy":
		return iam(detachPolicy("group"))
	case "ListAttachedGroupPolicies":
		return iam(listAttachedPolicies("group"))
	case "ResyncMFADevice":
		return iam(resyncMFADevice)
	case "SimulatePrincipalPolicy":
		return iam(simulatePrincipalPolicy)
	}
	return actionSpec{}, false
}

// lookupEC2Action maps an EC2 Action parameter to its implementation.
func lookupEC2Action(name string) (actionSpec, bool) {
	switch name {
	case "DescribeRegions":
		return actionSpec{service: "ec2", fn: describeRegions}, true
	}
	return actionSpec{}, false
}

// lookupS3Action maps an S3 REST request to its operation name and
// implementation: only ListBuckets (GET on the service root, as "aws s3 ls"
// sends it to a path-style endpoint).
func lookupS3Action(method, path string) (string, actionSpec, bool) {
	if method == "GET" && (path == "/" || path == "") {
		return "ListBuckets", actionSpec{service: "s3", fn: listBuckets, policyAction: "s3:ListAllMyBuckets"}, true
	}
	return "", actionSpec{}, false
}
