package awsemu

import (
	"slices"
	"strings"
)

// AWS's IAM group quotas.
const (
	maxGroupsPerUser    = 10
	maxGroupsPerAccount = 300
)

type iamGroup struct {
	Path      string `xml:"Path"`
	GroupName string `xml:"GroupName"`
	GroupID   string `xml:"GroupId"`
	Arn       string `xml:"Arn"`
	// CreateDate is required by the SDKs' Group shape.
	CreateDate string `xml:"CreateDate"`
}

type groupResult struct {
	Group iamGroup `xml:"Group"`
}

type getGroupResult struct {
	Group       iamGroup  `xml:"Group"`
	Users       []iamUser `xml:"Users>member"`
	IsTruncated bool      `xml:"IsTruncated"`
}

type listGroupsResult struct {
	Groups      []iamGroup `xml:"Groups>member"`
	IsTruncated bool       `xml:"IsTruncated"`
}

func (g *group) xml() iamGroup {
	return iamGroup{Path: g.Path, GroupName: g.Name, GroupID: g.ID, Arn: g.ARN, CreateDate: awsTime(g.Created)}
}

func (s *Server) createGroupLocked(name, path string) (*group, error) {
	id, err := s.st.newID("AGPA")
	if err != nil {
		return nil, err
	}
	g := &group{Name: name, ID: id, Path: path, ARN: "arn:aws:iam::" + s.st.Account + ":group" + path + name,
		Created: s.clock.Now(), Inline: map[string]string{}}
	s.st.Groups[name] = g
	return g, nil
}

// userGroups returns the groups user name belongs to, sorted by name.
func (st *state) userGroups(name string) []*group {
	var out []*group
	for _, gn := range sortedKeys(st.Groups) {
		if g := st.Groups[gn]; slices.Contains(g.Members, name) {
			out = append(out, g)
		}
	}
	return out
}

func (c *call) groupParam() (*group, *apiError) {
	name, aerr := c.entityName("GroupName", "groupName", 128)
	if aerr != nil {
		return nil, aerr
	}
	g := c.s.st.Groups[name]
	if g == nil {
		return nil, noSuchEntity("The group with name %s cannot be found.", name)
	}
	return g, nil
}

// authorizedGroup is groupParam for a caller whose identity policies allow
// the action on that group.
func (c *call) authorizedGroup() (*group, *apiError) {
	g, aerr := c.groupParam()
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.authorize(g.ARN); aerr != nil {
		return nil, aerr
	}
	return g, nil
}

func createGroup(c *call) (any, *apiError) {
	name, aerr := c.entityName("GroupName", "groupName", 128)
	if aerr != nil {
		return nil, aerr
	}
	path, aerr := c.pathParam()
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.authorize(c.arn("group"+path[:len(path)-1], name)); aerr != nil {
		return nil, aerr
	}
	// Group names are unique case-insensitively, as IAM's are.
	for _, g := range c.s.st.Groups {
		if strings.EqualFold(g.Name, name) {
			return nil, alreadyExists("Group with name %s already exists.", name)
		}
	}
	if len(c.s.st.Groups) >= maxGroupsPerAccount {
		return nil, limitExceeded("Cannot exceed quota for GroupsPerAccount: %d", maxGroupsPerAccount)
	}
	g, err := c.s.createGroupLocked(name, path)
	if err != nil {
		return nil, serviceFailure()
	}
	c.dirty = true
	return groupResult{Group: g.xml()}, nil
}

func getGroup(c *call) (any, *apiError) {
	g, aerr := c.authorizedGroup()
	if aerr != nil {
		return nil, aerr
	}
	res := getGroupResult{Group: g.xml(), Users: []iamUser{}}
	for _, name := range g.Members {
		if u := c.s.st.Users[name]; u != nil {
			res.Users = append(res.Users, u.xml())
		}
	}
	return res, nil
}

func listGroups(c *call) (any, *apiError) {
	if aerr := c.authorize(c.arn("group", "")); aerr != nil {
		return nil, aerr
	}
	res := listGroupsResult{Groups: []iamGroup{}}
	prefix := c.params.Get("PathPrefix")
	for _, name := range sortedKeys(c.s.st.Groups) {
		if g := c.s.st.Groups[name]; strings.HasPrefix(g.Path, prefix) {
			res.Groups = append(res.Groups, g.xml())
		}
	}
	return res, nil
}

func listGroupsForUser(c *call) (any, *apiError) {
	u, aerr := c.authorizedUser()
	if aerr != nil {
		return nil, aerr
	}
	res := listGroupsResult{Groups: []iamGroup{}}
	for _, g := range c.s.st.userGroups(u.Name) {
		res.Groups = append(res.Groups, g.xml())
	}
	return res, nil
}

func deleteGroup(c *call) (any, *apiError) {
	g, aerr := c.authorizedGroup()
	if aerr != nil {
		return nil, aerr
	}
	switch {
	case len(g.Members) > 0:
		return nil, deleteConflict("Cannot delete entity, must remove users from group first.")
	case len(g.Inline) > 0:
		return nil, deleteConflict("Cannot delete entity, must delete policies first.")
	case len(g.Attached) > 0:
		return nil, deleteConflict("Cannot delete entity, must detach all policies first.")
	}
	delete(c.s.st.Groups, g.Name)
	c.dirty = true
	return nil, nil
}

func addUserToGroup(c *call) (any, *apiError) {
	g, aerr := c.authorizedGroup()
	if aerr != nil {
		return nil, aerr
	}
	u, aerr := c.userParam()
	if aerr != nil {
		return nil, aerr
	}
	if slices.Contains(g.Members, u.Name) {
		return nil, nil // AWS answers success for an existing membership
	}
	if len(c.s.st.userGroups(u.Name)) >= maxGroupsPerUser {
		return nil, limitExceeded("Cannot exceed quota for GroupsPerUser: %d", maxGroupsPerUser)
	}
	g.Members = append(g.Members, u.Name)
	slices.Sort(g.Members)
	c.dirty = true
	return nil, nil
}

func removeUserFromGroup(c *call) (any, *apiError) {
	g, aerr := c.authorizedGroup()
	if aerr != nil {
		return nil, aerr
	}
	u, aerr := c.userParam()
	if aerr != nil {
		return nil, aerr
	}
	i := slices.Index(g.Members, u.Name)
	if i < 0 {
		return nil, noSuchEntity("The user with name %s cannot be found.", u.Name)
	}
	g.Members = slices.Delete(g.Members, i, i+1)
	c.dirty = true
	return nil, nil
}
