package cert

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// MaxEnvelopeSize caps an envelope file. A certificate's statement is a few
// kilobytes (the transcript lives beside it), so 4 MiB leaves ample room
// while bounding what a hostile file can make the parser hold.
const MaxEnvelopeSize = 4 << 20

// maxSignatures caps the signatures an envelope may carry; PoT writes one.
const maxSignatures = 8

// Envelope is a DSSE v1 envelope
// (https://github.com/secure-systems-lab/dsse/blob/master/envelope.md).
// Payload and Sig are standard base64 with padding.
type Envelope struct {
	PayloadType string      `json:"payloadType"`
	Payload     string      `json:"payload"`
	Signatures  []Signature `json:"signatures"`
}

// Signature is one DSSE signature: an Ed25519 signature over PAE(payloadType,
// payload) and the key id (hex SHA-256 of the public key) of its signer.
type Signature struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

// PAE is the DSSE v1 pre-authentication encoding
// (https://github.com/secure-systems-lab/dsse/blob/master/protocol.md):
//
//	"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
//
// with lengths in ASCII decimal, no leading zeros. Signing it rather than the
// payload binds the payload type, so a payload cannot be replayed as another
// type.
func PAE(payloadType string, payload []byte) []byte {
	b := make([]byte, 0, len("DSSEv1")+len(payloadType)+len(payload)+44)
	b = append(b, "DSSEv1 "...)
	b = strconv.AppendInt(b, int64(len(payloadType)), 10)
	b = append(b, ' ')
	b = append(b, payloadType...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(len(payload)), 10)
	b = append(b, ' ')
	return append(b, payload...)
}

// SignPayload wraps payload in a DSSE envelope signed by k and returns the
// envelope's canonical JSON followed by a newline. Fingerprint files are
// signed with it too, under their own payload type.
func SignPayload(payloadType string, payload []byte, k *Key) ([]byte, error) {
	sig := ed25519.Sign(k.priv, PAE(payloadType, payload))
	env := Envelope{
		PayloadType: payloadType,
		Payload:     base64.StdEncoding.EncodeToString(payload),
		Signatures:  []Signature{{KeyID: k.KeyID(), Sig: base64.StdEncoding.EncodeToString(sig)}},
	}
	b, err := json.Marshal(&env)
	if err != nil {
		return nil, fmt.Errorf("cert: encode envelope: %w", err)
	}
	if len(b)+1 > MaxEnvelopeSize {
		return nil, fmt.Errorf("cert: envelope of %d bytes exceeds %d", len(b)+1, MaxEnvelopeSize)
	}
	return append(b, '\n'), nil
}

// OpenPayload checks a DSSE envelope of the given payload type and returns
// its payload and the key id of the trusted key whose signature verified.
//
// The envelope must be canonical (exactly as SignPayload writes it, the final
// newline optional). It is accepted if some signature verifies under a
// trusted key and names that key's id. Otherwise the error matches
// ErrSignature when a signature names a trusted key (it was altered) and
// ErrUntrustedKey when none does.
func OpenPayload(data []byte, payloadType string, trusted []ed25519.PublicKey) (payload []byte, keyID string, err error) {
	env, err := parseEnvelope(data)
	if err != nil {
		return nil, "", err
	}
	if env.PayloadType != payloadType {
		return nil, "", errorf(ErrEnvelope, "payloadType %q, want %q", clip(env.PayloadType), payloadType)
	}
	payload, _ = base64.StdEncoding.Strict().DecodeString(env.Payload) // checked by parseEnvelope
	pae := PAE(env.PayloadType, payload)
	named := false
	for i, s := range env.Signatures {
		sig, _ := base64.StdEncoding.Strict().DecodeString(s.Sig)
		for _, pub := range trusted {
			id := KeyID(pub)
			if s.KeyID == id {
				named = true
			}
			if !ed25519.Verify(pub, pae, sig) {
				continue
			}
			if s.KeyID != id {
				return nil, "", errorf(ErrSignature, "signatures[%d] verifies with key %s but names key %s", i, id, clip(s.KeyID))
			}
			return payload, id, nil
		}
	}
	if named {
		return nil, "", errorf(ErrSignature, "signature by trusted key does not verify")
	}
	ids := make([]string, len(env.Signatures))
	for i, s := range env.Signatures {
		ids[i] = s.KeyID
	}
	return nil, "", errorf(ErrUntrustedKey, "signed by key %v, trusted %d other key(s)", ids, len(trusted))
}

// parseEnvelope decodes a canonical envelope; every error matches
// ErrEnvelope.
func parseEnvelope(data []byte) (*Envelope, error) {
	if len(data) > MaxEnvelopeSize {
		return nil, errorf(ErrEnvelope, "%d bytes exceeds %d", len(data), MaxEnvelopeSize)
	}
	data = bytes.TrimSuffix(data, []byte("\n"))
	var env Envelope
	if err := decodeCanonical(data, &env); err != nil {
		return nil, errorf(ErrEnvelope, "%v", err)
	}
	if n := len(env.Signatures); n == 0 || n > maxSignatures {
		return nil, errorf(ErrEnvelope, "%d signatures, want 1..%d", n, maxSignatures)
	}
	if err := checkBase64("payload", env.Payload, -1); err != nil {
		return nil, err
	}
	for i, s := range env.Signatures {
		if err := checkHex("keyid", s.KeyID, 32, 32); err != nil {
			return nil, errorf(ErrEnvelope, "signatures[%d].keyid %q: want 64 lower-case hex digits", i, clip(s.KeyID))
		}
		if err := checkBase64("signatures["+strconv.Itoa(i)+"].sig", s.Sig, ed25519.SignatureSize); err != nil {
			return nil, err
		}
	}
	return &env, nil
}

// checkBase64 checks s is canonical padded standard base64 (of exactly n
// bytes if n ≥ 0). Canonical: re-encoding the decoded bytes gives s, so no
// two strings decode to the same bytes.
func checkBase64(field, s string, n int) error {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return errorf(ErrEnvelope, "%s: %v", field, err)
	}
	if base64.StdEncoding.EncodeToString(b) != s {
		return errorf(ErrEnvelope, "%s: not canonical base64", field)
	}
	if n >= 0 && len(b) != n {
		return errorf(ErrEnvelope, "%s: %d bytes, want %d", field, len(b), n)
	}
	return nil
}

// errNotCanonical reports JSON that decodes but is not in canonical form.
var errNotCanonical = errors.New("not in canonical form (compact JSON, fields in schema order)")

// decodeCanonical decodes one JSON value from data into v, refusing unknown
// fields and trailing data, and requires data to equal json.Marshal(v). That
// rejects duplicate keys, case-folded keys, whitespace, escapes written
// differently, invalid UTF-8 and numbers written another way: a canonical
// encoding is unique.
func decodeCanonical(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	re, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if !bytes.Equal(re, data) {
		return errNotCanonical
	}
	return nil
}
