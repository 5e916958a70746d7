package delivery

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPKI is a CA with a server certificate for 127.0.0.1 and a client
// certificate, made fresh for each test.
type testPKI struct {
	caPool     *x509.CertPool
	server     tls.Certificate
	clientCert *x509.Certificate
	clientKey  *ecdsa.PrivateKey
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	caKey := mustKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Hooklab Test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	pki := &testPKI{caPool: x509.NewCertPool()}
	pki.caPool.AddCert(ca)

	issue := func(serial int64, cn string, usage x509.ExtKeyUsage, ips []net.IP) ([]byte, *ecdsa.PrivateKey) {
		key := mustKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	serverDER, serverKey := issue(2, "127.0.0.1", x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)})
	pki.server = tls.Certificate{Certificate: [][]byte{serverDER}, PrivateKey: serverKey}
	clientDER, clientKey := issue(3, "hooklab-client", x509.ExtKeyUsageClientAuth, nil)
	pki.clientCert, _ = x509.ParseCertificate(clientDER)
	pki.clientKey = clientKey
	return pki
}

func mustKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// clientPEM writes the client certificate and its key, in the given key
// encoding, to a file and returns its path.
func (p *testPKI) clientPEM(t *testing.T, keyBlock *pem.Block) string {
	t.Helper()
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.clientCert.Raw})
	data = append(data, pem.EncodeToMemory(keyBlock)...)
	path := filepath.Join(t.TempDir(), "client.pem")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func (p *testPKI) pkcs8(t *testing.T) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(p.clientKey)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// encryptPKCS8 encrypts a PKCS #8 key with PBES2 (PBKDF2-HMAC-SHA256,
// AES-256-CBC), the format `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes.
func encryptPKCS8(t *testing.T, der []byte, password string) []byte {
	t.Helper()
	salt, iv := make([]byte, 16), make([]byte, 16)
	rand.Read(salt)
	rand.Read(iv)
	key, err := pbkdf2.Key(sha256.New, password, salt, 2048, 32)
	if err != nil {
		t.Fatal(err)
	}
	n := aes.BlockSize - len(der)%aes.BlockSize
	padded := append(append([]byte(nil), der...), []byte(strings.Repeat(string(rune(n)), n))...)
	block, _ := aes.NewCipher(key)
	enc := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(enc, padded)

	marshal := func(v any) asn1.RawValue {
		b, err := asn1.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return asn1.RawValue{FullBytes: b}
	}
	kdf := pbkdf2Params{Salt: salt, IterationCount: 2048, PRF: pkix.AlgorithmIdentifier{Algorithm: oidHMACSHA256, Parameters: asn1.NullRawValue}}
	params := pbes2Params{
		KeyDerivationFunc: pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: marshal(kdf)},
		EncryptionScheme:  pkix.AlgorithmIdentifier{Algorithm: oidAES256CBC, Parameters: marshal(iv)},
	}
	out, err := asn1.Marshal(encryptedPrivateKeyInfo{
		Algorithm: pkix.AlgorithmIdentifier{Algorithm: oidPBES2, Parameters: marshal(params)},
		Data:      enc,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSendTLSVerification(t *testing.T) {
	pki := newTestPKI(t)
	rcv := newTLSReceiver(t, nil, func(s *httptest.Server) {
		s.TLS = &tls.Config{Certificates: []tls.Certificate{pki.server}}
		s.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are expected
	})
	tests := []struct {
		name    string
		roots   *x509.CertPool
		verify  bool
		wantErr string
	}{
		{"verification on, unknown CA", nil, true, "tls: failed to verify certificate: x509: certificate signed by unknown authority"},
		{"verification off, unknown CA", nil, false, ""},
		{"verification on, trusted CA", pki.caPool, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestSender(t, func(o *Options) { o.RootCAs = tt.roots })
			h := projectHook(rcv.URL)
			h.EnableSSLVerification = tt.verify
			before := len(rcv.requests())
			a := s.Send(context.Background(), Request{Hook: h, Trigger: trigger(t, "push_hooks"), Payload: samplePayload(t, s, "push_hooks"), Settings: localSettings()})
			sent := len(rcv.requests()) - before
			if tt.wantErr == "" {
				if a.StatusCode != 200 || sent != 1 {
					t.Errorf("status %d err %v, %d requests; want 200", a.StatusCode, a.Err, sent)
				}
				return
			}
			if a.InternalErrorMessage != tt.wantErr || sent != 0 {
				t.Errorf("message %q, %d requests; want %q and none", a.InternalErrorMessage, sent, tt.wantErr)
			}
		})
	}
}

func TestSendMutualTLS(t *testing.T) {
	pki := newTestPKI(t)
	rcv := newTLSReceiver(t, nil, func(s *httptest.Server) {
		s.TLS = &tls.Config{
			Certificates: []tls.Certificate{pki.server},
			ClientAuth:   tls.RequireAndVerifyClientCert,
			ClientCAs:    pki.caPool,
		}
		s.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are expected
	})

	legacy, err := x509.EncryptPEMBlock(rand.Reader, "EC PRIVATE KEY", mustMarshalEC(t, pki.clientKey), []byte("legacy-pass"), x509.PEMCipherAES256) //nolint:staticcheck
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		key      *pem.Block
		password string
	}{
		{"unencrypted PKCS #8", &pem.Block{Type: "PRIVATE KEY", Bytes: pki.pkcs8(t)}, ""},
		{"unencrypted SEC 1", &pem.Block{Type: "EC PRIVATE KEY", Bytes: mustMarshalEC(t, pki.clientKey)}, ""},
		{"encrypted PKCS #8", &pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: encryptPKCS8(t, pki.pkcs8(t), "pkcs8-pass")}, "pkcs8-pass"},
		{"legacy encrypted PEM", legacy, "legacy-pass"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := pki.clientPEM(t, tt.key)
			s := newTestSender(t, func(o *Options) {
				o.RootCAs = pki.caPool
				o.ClientCertFile = path
				o.ClientCertPassword = tt.password
			})
			before := len(rcv.requests())
			a := s.Send(context.Background(), Request{Hook: projectHook(rcv.URL), Trigger: trigger(t, "push_hooks"), Payload: samplePayload(t, s, "push_hooks"), Settings: localSettings()})
			if a.StatusCode != 200 {
				t.Fatalf("status %d err %v, want 200", a.StatusCode, a.Err)
			}
			if got := rcv.requests()[before].ClientCN; got != "hooklab-client" {
				t.Errorf("receiver saw client certificate %q, want hooklab-client", got)
			}
		})
	}

	t.Run("wrong password", func(t *testing.T) {
		for _, tt := range tests[2:] {
			path := pki.clientPEM(t, tt.key)
			for _, pw := range []string{"", "wrong"} {
				_, err := New(Options{Version: "1", ExternalURL: testExternalURL, URLHashKey: testHashKey, ClientCertFile: path, ClientCertPassword: pw})
				if !errors.Is(err, errIncorrectPassword) {
					t.Errorf("%s with password %q: err %v, want incorrect password", tt.name, pw, err)
				}
				if err != nil && strings.Contains(err.Error(), tt.password) {
					t.Errorf("error quotes the password: %v", err)
				}
			}
		}
	})

	t.Run("no client certificate", func(t *testing.T) {
		s := newTestSender(t, func(o *Options) { o.RootCAs = pki.caPool })
		before := len(rcv.requests())
		a := s.Send(context.Background(), Request{Hook: projectHook(rcv.URL), Trigger: trigger(t, "push_hooks"), Payload: samplePayload(t, s, "push_hooks"), Settings: localSettings()})
		// Under TLS 1.3 the server checks the client certificate after the
		// client's side of the handshake is done, so its refusal arrives as
		// a TLS alert or, when the request was already on its way, as the
		// connection breaking. Either way the request never got through.
		msg := a.InternalErrorMessage
		refused := strings.Contains(msg, "certificate") || strings.Contains(msg, "broken pipe") || strings.Contains(msg, "connection reset")
		if a.ResponseStatus() != InternalError || !refused {
			t.Errorf("status %q message %q, want the TLS refusal as an internal error", a.ResponseStatus(), msg)
		}
		if len(rcv.requests()) != before {
			t.Errorf("request reached the receiver without a client certificate")
		}
	})
}

func mustMarshalEC(t *testing.T, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// The fixtures were written by OpenSSL 3 (testdata/README.md).
func TestLoadClientCertificateOpenSSLFormats(t *testing.T) {
	tests := []struct {
		file     string
		password string
		wantCN   string
		wantErr  string
	}{
		{"client-ec-plain.pem", "", "hooklab-test-ec", ""},
		{"client-ec-plain.pem", "ignored", "hooklab-test-ec", ""},
		{"client-ec-pkcs8-aes256.pem", "s3cret", "hooklab-test-ec", ""},
		{"client-ec-pkcs8-aes128-sha512.pem", "s3cret", "hooklab-test-ec", ""},
		{"client-ec-pkcs8-des3-sha1.pem", "s3cret", "hooklab-test-ec", ""},
		{"client-rsa-legacy-aes256.pem", "s3cret", "hooklab-test-rsa", ""},
		{"client-rsa-keyfirst.pem", "", "hooklab-test-rsa", ""},
		{"client-ec-pkcs8-aes256.pem", "nope", "", "incorrect password"},
		{"client-ec-pkcs8-aes256.pem", "", "", "incorrect password"},
		{"client-rsa-legacy-aes256.pem", "nope", "", "incorrect password"},
		{"client-ec-pkcs8-pbes1.pem", "s3cret", "", "only PBES2 is supported"},
		{"client-mismatch.pem", "", "", "does not match the certificate"},
		{"README.md", "", "", "no CERTIFICATE block"},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.password, func(t *testing.T) {
			cert, err := loadClientCertificate(filepath.Join("testdata", tt.file), tt.password)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cert.Leaf.Subject.CommonName != tt.wantCN {
				t.Errorf("CN %q, want %q", cert.Leaf.Subject.CommonName, tt.wantCN)
			}
		})
	}
}
