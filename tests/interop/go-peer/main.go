// Command go-peer signs and verifies HTTP requests with github.com/remitly-oss/httpsig-go, the
// independent Go implementation of RFC 9421 used as an oracle by tests/tests/differential.rs.
//
//	go-peer sign JOBS.json OUT.json    sign each job's wire request; OUT lists the added fields
//	go-peer verify JOBS.json OUT.json  verify each job's wire request; OUT lists ok / the error
//
// Requests are read from their HTTP/1.1 wire bytes with net/http's own parser (http.ReadRequest),
// so Go's framing rules apply too. Keys are PEM files (PKCS#8 private keys, SPKI public keys).
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	httpsig "github.com/remitly-oss/httpsig-go"
)

type job struct {
	ID         int      `json:"id"`
	Wire       []byte   `json:"wire"`
	Alg        string   `json:"alg"`
	PrivateKey string   `json:"private_key"`
	PublicKey  string   `json:"public_key"`
	Components []string `json:"components"`
	KeyID      string   `json:"keyid"`
	Label      string   `json:"label"`
}

type result struct {
	ID      int         `json:"id"`
	OK      bool        `json:"ok"`
	Error   string      `json:"error,omitempty"`
	Headers [][2]string `json:"headers,omitempty"`
}

func pemDER(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	return block.Bytes, nil
}

// field turns `"@query-param";name="x"` or `content-type` into a SignedField.
func field(c string) httpsig.SignedField {
	name, params, _ := strings.Cut(c, ";")
	f := httpsig.SignedField{Name: strings.Trim(name, `"`), Parameters: map[string]any{}}
	if params != "" {
		k, v, _ := strings.Cut(params, "=")
		f.Parameters[k] = strings.Trim(v, `"`)
	}
	return f
}

func readRequest(wire []byte) (*http.Request, error) {
	return http.ReadRequest(bufio.NewReader(bytes.NewReader(wire)))
}

func sign(j job) result {
	der, err := pemDER(j.PrivateKey)
	if err != nil {
		return result{ID: j.ID, Error: err.Error()}
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return result{ID: j.ID, Error: err.Error()}
	}
	req, err := readRequest(j.Wire)
	if err != nil {
		return result{ID: j.ID, Error: "read request: " + err.Error()}
	}
	fields := make([]httpsig.SignedField, 0, len(j.Components))
	for _, c := range j.Components {
		fields = append(fields, field(c))
	}
	profile := httpsig.SigningProfile{
		Algorithm: httpsig.Algorithm(j.Alg),
		Fields:    fields,
		Metadata:  []httpsig.Metadata{httpsig.MetaCreated, httpsig.MetaNonce, httpsig.MetaKeyID, httpsig.MetaAlgorithm},
		Label:     j.Label,
	}
	skey := httpsig.SigningKey{Key: key.(crypto.PrivateKey), MetaKeyID: j.KeyID}
	if err := httpsig.Sign(req, profile, skey); err != nil {
		return result{ID: j.ID, Error: err.Error()}
	}
	out := result{ID: j.ID, OK: true}
	for _, name := range []string{"Content-Digest", "Signature-Input", "Signature"} {
		for _, v := range req.Header.Values(name) {
			out.Headers = append(out.Headers, [2]string{name, v})
		}
	}
	return out
}

type fixedKey struct{ spec httpsig.KeySpec }

func (k fixedKey) FetchByKeyID(_ context.Context, _ http.Header, keyID string) (httpsig.KeySpecer, error) {
	s := k.spec
	s.KeyID = keyID
	return s, nil
}

func (k fixedKey) Fetch(context.Context, http.Header, httpsig.MetadataProvider) (httpsig.KeySpecer, error) {
	return nil, fmt.Errorf("a keyid is required")
}

func verify(j job) result {
	der, err := pemDER(j.PublicKey)
	if err != nil {
		return result{ID: j.ID, Error: err.Error()}
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return result{ID: j.ID, Error: err.Error()}
	}
	req, err := readRequest(j.Wire)
	if err != nil {
		return result{ID: j.ID, Error: "read request: " + err.Error()}
	}
	required := make([]httpsig.SignedField, 0, len(j.Components))
	for _, c := range j.Components {
		required = append(required, field(c))
	}
	profile := httpsig.VerifyProfile{
		SignatureLabel:       j.Label,
		RequiredFields:       required,
		RequiredMetadata:     []httpsig.Metadata{httpsig.MetaCreated, httpsig.MetaKeyID},
		AllowedAlgorithms:    []httpsig.Algorithm{httpsig.Algorithm(j.Alg)},
		CreatedValidDuration: 10 * time.Minute,
	}
	keys := fixedKey{httpsig.KeySpec{Algo: httpsig.Algorithm(j.Alg), PubKey: pub}}
	if _, err := httpsig.Verify(req, keys, profile); err != nil {
		return result{ID: j.ID, Error: err.Error()}
	}
	return result{ID: j.ID, OK: true}
}

func main() {
	if len(os.Args) != 4 || (os.Args[1] != "sign" && os.Args[1] != "verify") {
		fmt.Fprintln(os.Stderr, "usage: go-peer sign|verify JOBS.json OUT.json")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var jobs []job
	if err := json.Unmarshal(raw, &jobs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	results := make([]result, 0, len(jobs))
	for _, j := range jobs {
		if os.Args[1] == "sign" {
			results = append(results, sign(j))
		} else {
			results = append(results, verify(j))
		}
	}
	out, _ := json.MarshalIndent(results, "", " ")
	if err := os.WriteFile(os.Args[3], out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
