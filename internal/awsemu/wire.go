package awsemu

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"time"
)

// Namespaces of the two query-protocol services the emulator speaks.
const (
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
	iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsVersion   = "2011-06-15"
	iamVersion   = "2010-05-08"
)

// apiError is an error answered to the client in AWS's query-protocol shape.
// Message must never contain a secret: it is sent to the caller and logged.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func accessDenied(format string, args ...any) *apiError {
	return errorf(http.StatusForbidden, "AccessDenied", format, args...)
}

func validationError(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, "ValidationError", format, args...)
}

func noSuchEntity(format string, args ...any) *apiError {
	return errorf(http.StatusNotFound, "NoSuchEntity", format, args...)
}

func alreadyExists(format string, args ...any) *apiError {
	return errorf(http.StatusConflict, "EntityAlreadyExists", format, args...)
}

func limitExceeded(format string, args ...any) *apiError {
	return errorf(http.StatusConflict, "LimitExceeded", format, args...)
}

func malformedPolicy(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, "MalformedPolicyDocument", format, args...)
}

func invalidClientTokenID() *apiError {
	return errorf(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
}

func expiredToken() *apiError {
	return errorf(http.StatusBadRequest, "ExpiredToken", "The security token included in the request is expired")
}

const signatureMismatchMessage = "The request signature we calculated does not match the signature you provided. " +
	"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

func signatureDoesNotMatch(msg string) *apiError {
	return errorf(http.StatusForbidden, "SignatureDoesNotMatch", "%s", msg)
}

func throttling() *apiError {
	return errorf(http.StatusBadRequest, "Throttling", "Rate exceeded")
}

func serviceFailure() *apiError {
	return errorf(http.StatusInternalServerError, "ServiceFailure", "The request processing has failed because of an unknown error, exception or failure.")
}

// awsTime formats t the way the query services do (ISO 8601, UTC, seconds).
func awsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

// encodeResponse renders <ActionResponse xmlns=ns><ActionResult>result</ActionResult>
// <ResponseMetadata/></ActionResponse>. A nil result omits the Result element,
// as AWS does for actions without output.
func encodeResponse(ns, action, requestID string, result any) ([]byte, error) {
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	start := xml.StartElement{
		Name: xml.Name{Local: action + "Response"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: ns}},
	}
	if err := enc.EncodeToken(start); err != nil {
		return nil, err
	}
	if result != nil {
		if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			return nil, fmt.Errorf("encoding %s result: %w", action, err)
		}
	}
	if err := enc.EncodeElement(responseMetadata{RequestID: requestID}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}}); err != nil {
		return nil, err
	}
	if err := enc.EncodeToken(start.End()); err != nil {
		return nil, err
	}
	if err := enc.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type errorBody struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

func encodeError(ns, requestID string, e *apiError) []byte {
	kind := "Sender"
	if e.Status >= 500 {
		kind = "Receiver"
	}
	out, err := xml.Marshal(errorBody{Xmlns: ns, Type: kind, Code: e.Code, Message: e.Message, RequestID: requestID})
	if err != nil {
		// Only strings are marshalled; this cannot fail, but stay well-formed anyway.
		return []byte("<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code></Error></ErrorResponse>")
	}
	return append([]byte(xml.Header), out...)
}
