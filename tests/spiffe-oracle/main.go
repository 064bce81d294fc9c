// spiffe-oracle runs go-spiffe over the cases pinset's SPIFFE differential test writes
// (tests/tests/spiffe_oracle.rs): SPIFFE ID strings through spiffeid.FromString, X.509-SVID chains through x509svid.ParseAndVerify and
// bundles through spiffebundle.Parse. Input and output are JSON on stdin/stdout.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spiffe/go-spiffe/v2/bundle/spiffebundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"
)

type bundleIn struct {
	TrustDomain string `json:"trust_domain"`
	JWKS        string `json:"jwks"`
}

type svidCase struct {
	Name    string     `json:"name"`
	Chain   [][]byte   `json:"chain"` // DER, base64 in JSON
	Bundles []bundleIn `json:"bundles"`
	Now     int64      `json:"now"`
}

type bundleCase struct {
	Name        string `json:"name"`
	TrustDomain string `json:"trust_domain"`
	JWKS        string `json:"jwks"`
}

type input struct {
	IDs     []string     `json:"ids"`
	SVIDs   []svidCase   `json:"svids"`
	Bundles []bundleCase `json:"bundles"`
}

type result struct {
	Name        string `json:"name"`
	OK          bool   `json:"ok"`
	ID          string `json:"id,omitempty"`
	Authorities int    `json:"authorities"`
	Error       string `json:"error,omitempty"`
}

func parseBundle(td, jwks string) (*spiffebundle.Bundle, error) {
	trustDomain, err := spiffeid.TrustDomainFromString(td)
	if err != nil {
		return nil, err
	}
	return spiffebundle.Parse(trustDomain, []byte(jwks))
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, "spiffe-oracle: bad input:", err)
		os.Exit(2)
	}
	out := map[string][]result{"ids": {}, "svids": {}, "bundles": {}}
	for _, s := range in.IDs {
		r := result{Name: s}
		if id, err := spiffeid.FromString(s); err != nil {
			r.Error = err.Error()
		} else {
			r.OK = true
			r.ID = id.String()
		}
		out["ids"] = append(out["ids"], r)
	}
	for _, c := range in.SVIDs {
		set := spiffebundle.NewSet()
		var setupErr error
		for _, b := range c.Bundles {
			bundle, err := parseBundle(b.TrustDomain, b.JWKS)
			if err != nil {
				setupErr = fmt.Errorf("bundle %s: %w", b.TrustDomain, err)
				break
			}
			set.Add(bundle)
		}
		r := result{Name: c.Name}
		if setupErr != nil {
			r.Error = setupErr.Error()
		} else {
			id, _, err := x509svid.ParseAndVerify(c.Chain, set, x509svid.WithTime(time.Unix(c.Now, 0)))
			if err != nil {
				r.Error = err.Error()
			} else {
				r.OK = true
				r.ID = id.String()
			}
		}
		out["svids"] = append(out["svids"], r)
	}
	for _, c := range in.Bundles {
		r := result{Name: c.Name}
		bundle, err := parseBundle(c.TrustDomain, c.JWKS)
		if err != nil {
			r.Error = err.Error()
		} else {
			r.OK = true
			r.Authorities = len(bundle.X509Authorities())
		}
		out["bundles"] = append(out["bundles"], r)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		os.Exit(2)
	}
}
