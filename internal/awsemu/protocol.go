package awsemu

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// scopeService is the service of the SigV4 credential scope a request
// claims (KEYID/DATE/REGION/SERVICE/aws4_request), "" when unsigned or
// malformed. It only routes the request: the signature is checked later.
func scopeService(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if auth := r.Header.Get("Authorization"); auth != "" {
		_, after, ok := strings.Cut(auth, "Credential=")
		if !ok {
			return ""
		}
		cred, _, _ = strings.Cut(after, ",")
	}
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[3]
}

// ---- STS and IAM: the query protocol ----

type queryProtocol struct{}

func (queryProtocol) parse(w http.ResponseWriter, r *http.Request) ([]byte, url.Values, string, actionSpec, *apiError) {
	body, params, aerr := readParams(w, r)
	if aerr != nil {
		return nil, nil, "", actionSpec{}, aerr
	}
	action := params.Get("Action")
	if action == "" {
		return nil, nil, "", actionSpec{}, errorf(http.StatusBadRequest, "InvalidAction", "Missing Action")
	}
	spec, ok := lookupAction(action)
	if !ok {
		return nil, nil, action, actionSpec{}, errorf(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version %s", clip(action, 64), clip(params.Get("Version"), 32))
	}
	return body, params, action, spec, nil
}

func (queryProtocol) translate(e *apiError) *apiError { return e }

func (queryProtocol) write(w http.ResponseWriter, reqID, action string, spec actionSpec, result any, aerr *apiError) {
	ns := stsNamespace
	if spec.service == "iam" {
		ns = iamNamespace
	}
	var out []byte
	if aerr == nil {
		var err error
		if out, err = encodeResponse(ns, action, reqID, result); err != nil {
			aerr = serviceFailure()
		}
	}
	w.Header().Set("Content-Type", "text/xml")
	if aerr != nil {
		w.WriteHeader(aerr.Status)
		w.Write(encodeError(ns, reqID, aerr))
		return
	}
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

// ---- EC2: its own query dialect ----

const ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

type ec2Protocol struct{}

func (ec2Protocol) parse(w http.ResponseWriter, r *http.Request) ([]byte, url.Values, string, actionSpec, *apiError) {
	body, params, aerr := readParams(w, r)
	if aerr != nil {
		return nil, nil, "", actionSpec{}, aerr
	}
	action := params.Get("Action")
	spec, ok := lookupEC2Action(action)
	if !ok {
		return nil, nil, action, actionSpec{service: "ec2"}, errorf(http.StatusBadRequest, "InvalidAction", "The action %s is not valid for this web service.", clip(action, 64))
	}
	return body, params, action, spec, nil
}

// translate maps the common codes to EC2's (EC2 API reference, "Error
// codes"): authorization failures are UnauthorizedOperation, bad keys
// AuthFailure, expired credentials RequestExpired, throttling
// RequestLimitExceeded.
func (ec2Protocol) translate(e *apiError) *apiError {
	switch e.Code {
	case "AccessDenied":
		return errorf(http.StatusForbidden, "UnauthorizedOperation", "You are not authorized to perform this operation. %s", e.Message)
	case "InvalidClientTokenId", "MissingAuthenticationToken":
		return errorf(http.StatusUnauthorized, "AuthFailure", "AWS was not able to validate the provided access credentials")
	case "ExpiredToken":
		return errorf(http.StatusBadRequest, "RequestExpired", "Request has expired.")
	case "Throttling":
		return errorf(http.StatusServiceUnavailable, "RequestLimitExceeded", "Request limit exceeded.")
	case "ServiceFailure":
		return errorf(http.StatusInternalServerError, "InternalError", "An internal error has occurred")
	case "ValidationError":
		return errorf(http.StatusBadRequest, "InvalidParameterValue", "%s", e.Message)
	}
	return e
}

type ec2ErrorBody struct {
	XMLName   xml.Name `xml:"Response"`
	Code      string   `xml:"Errors>Error>Code"`
	Message   string   `xml:"Errors>Error>Message"`
	RequestID string   `xml:"RequestID"`
}

func (ec2Protocol) write(w http.ResponseWriter, reqID, action string, _ actionSpec, result any, aerr *apiError) {
	var out []byte
	if aerr == nil {
		var err error
		if out, err = encodeEC2Response(action, reqID, result); err != nil {
			aerr = errorf(http.StatusInternalServerError, "InternalError", "An internal error has occurred")
		}
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	if aerr != nil {
		body, err := xml.Marshal(ec2ErrorBody{Code: aerr.Code, Message: aerr.Message, RequestID: reqID})
		if err != nil {
			body = []byte("<Response><Errors><Error><Code>InternalError</Code></Error></Errors></Response>")
		}
		w.WriteHeader(aerr.Status)
		w.Write(append([]byte(xml.Header), body...))
		return
	}
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

// encodeEC2Response renders <ActionResponse xmlns=…><requestId/>fields…,
// EC2's shape: no Result wrapper, the request id first.
func encodeEC2Response(action, reqID string, result any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	start := xml.StartElement{Name: xml.Name{Local: action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: ec2Namespace}}}
	if err := enc.EncodeToken(start); err != nil {
		return nil, err
	}
	if err := enc.EncodeElement(reqID, xml.StartElement{Name: xml.Name{Local: "requestId"}}); err != nil {
		return nil, err
	}
	if result != nil {
		// The result's own element name is dropped: its fields sit
		// directly under the response element.
		var inner bytes.Buffer
		if err := xml.NewEncoder(&inner).Encode(result); err != nil {
			return nil, err
		}
		if err := copyChildren(enc, inner.Bytes()); err != nil {
			return nil, err
		}
	}
	if err := enc.EncodeToken(start.End()); err != nil {
		return nil, err
	}
	if err := enc.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// copyChildren re-encodes the children of doc's root element into enc.
func copyChildren(enc *xml.Encoder, doc []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				continue
			}
			t.Name.Space, t.Attr = "", nil
			tok = t
		case xml.EndElement:
			depth--
			if depth == 0 {
				continue
			}
			t.Name.Space = ""
			tok = t
		}
		if depth >= 1 {
			if err := enc.EncodeToken(xml.CopyToken(tok)); err != nil {
				return err
			}
		}
	}
}

// ---- S3: REST ----

const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

type s3Protocol struct{}

func (s3Protocol) parse(w http.ResponseWriter, r *http.Request) ([]byte, url.Values, string, actionSpec, *apiError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return nil, nil, "", actionSpec{service: "s3"}, errorf(http.StatusBadRequest, "IncompleteBody", "The request body could not be read.")
	}
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, nil, "", actionSpec{service: "s3"}, errorf(http.StatusBadRequest, "InvalidArgument", "The query string is malformed.")
	}
	action, spec, ok := lookupS3Action(r.Method, r.URL.Path)
	if !ok {
		return nil, nil, action, actionSpec{service: "s3"}, errorf(http.StatusNotImplemented, "NotImplemented",
			"A header you provided implies functionality that is not implemented.")
	}
	return body, params, action, spec, nil
}

// translate maps the common codes to S3's (S3 API reference, "Error
// responses").
func (s3Protocol) translate(e *apiError) *apiError {
	switch e.Code {
	case "InvalidClientTokenId":
		return errorf(http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	case "MissingAuthenticationToken":
		return errorf(http.StatusForbidden, "AccessDenied", "Access Denied")
	case "SignatureDoesNotMatch":
		if strings.HasPrefix(e.Message, "Signature expired") || strings.HasPrefix(e.Message, "Signature not yet current") {
			return errorf(http.StatusForbidden, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.")
		}
		return errorf(http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	case "ExpiredToken":
		return errorf(http.StatusBadRequest, "ExpiredToken", "The provided token has expired.")
	case "Throttling":
		return errorf(http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
	case "ServiceFailure":
		return errorf(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
	case "IncompleteSignature", "ValidationError", "MalformedQueryString", "InvalidAction":
		return errorf(http.StatusBadRequest, "InvalidRequest", "%s", e.Message)
	}
	return e
}

type s3ErrorBody struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	RequestID string   `xml:"RequestId"`
	HostID    string   `xml:"HostId"`
}

func (s3Protocol) write(w http.ResponseWriter, reqID, _ string, _ actionSpec, result any, aerr *apiError) {
	w.Header().Set("X-Amz-Request-Id", reqID)
	w.Header().Set("X-Amz-Id-2", reqID)
	var out []byte
	if aerr == nil {
		body, err := xml.Marshal(result)
		if err != nil {
			aerr = errorf(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		}
		out = append([]byte(xml.Header), body...)
	}
	w.Header().Set("Content-Type", "application/xml")
	if aerr != nil {
		body, err := xml.Marshal(s3ErrorBody{Code: aerr.Code, Message: aerr.Message, RequestID: reqID, HostID: reqID})
		if err != nil {
			body = []byte("<Error><Code>InternalError</Code></Error>")
		}
		w.WriteHeader(aerr.Status)
		w.Write(append([]byte(xml.Header), body...))
		return
	}
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}
