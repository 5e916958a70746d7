package delivery

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"os"
)

// errIncorrectPassword is what a wrong (or missing) key password gives.
var errIncorrectPassword = errors.New("incorrect password for the client certificate key")

// loadClientCertificate reads the instance's client certificate for mutual
// TLS (--tls-client-cert-file): one PEM file with the
// certificate, any intermediates after it, and the private key. The key may
// be unencrypted (PKCS #1, SEC 1 or PKCS #8), encrypted PKCS #8 ("ENCRYPTED
// PRIVATE KEY": PBES2 with PBKDF2 and AES-CBC or 3DES-CBC, what OpenSSL 3
// writes by default), or encrypted the legacy OpenSSL way (Proc-Type and
// DEK-Info headers, `openssl rsa -traditional -aes256`). The password is
// used only for an encrypted key. PBES1 and scrypt-encrypted keys are not
// supported; convert them with `openssl pkcs8 -topk8 -v2 aes-256-cbc`.
func loadClientCertificate(path, password string) (tls.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("read client certificate: %w", err)
	}
	cert, err := parseClientCertificate(data, password)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("client certificate %s: %w", path, err)
	}
	return cert, nil
}

func parseClientCertificate(data []byte, password string) (tls.Certificate, error) {
	var (
		cert tls.Certificate
		key  crypto.Signer
	)
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		switch {
		case block.Type == "CERTIFICATE":
			cert.Certificate = append(cert.Certificate, block.Bytes)
		case key != nil:
			// A second key is ignored, as OpenSSL reads the first.
		case block.Type == "ENCRYPTED PRIVATE KEY":
			der, err := decryptPKCS8(block.Bytes, password)
			if err != nil {
				return tls.Certificate{}, err
			}
			if key, err = parsePrivateKey("PRIVATE KEY", der); err != nil {
				return tls.Certificate{}, errIncorrectPassword
			}
		case isPrivateKeyType(block.Type):
			// Legacy OpenSSL encryption is insecure by today's standards
			// (MD5 key derivation) but still what `openssl rsa -aes256
			// -traditional` and older tools write, hence the deprecated API.
			//lint:ignore SA1019 see above
			if x509.IsEncryptedPEMBlock(block) { //nolint:staticcheck
				if password == "" {
					return tls.Certificate{}, errIncorrectPassword
				}
				//lint:ignore SA1019 see above
				der, err := x509.DecryptPEMBlock(block, []byte(password)) //nolint:staticcheck
				if err != nil {
					return tls.Certificate{}, errIncorrectPassword
				}
				// A wrong password can pass the padding check and yield junk.
				if key, err = parsePrivateKey(block.Type, der); err != nil {
					return tls.Certificate{}, errIncorrectPassword
				}
				continue
			}
			var err error
			if key, err = parsePrivateKey(block.Type, block.Bytes); err != nil {
				return tls.Certificate{}, err
			}
		}
	}
	if len(cert.Certificate) == 0 {
		return tls.Certificate{}, errors.New("no CERTIFICATE block in the PEM file")
	}
	if key == nil {
		return tls.Certificate{}, errors.New("no private key in the PEM file (it must hold the certificate and its key)")
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("parse certificate: %w", err)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(leaf.PublicKey) {
		return tls.Certificate{}, errors.New("the private key does not match the certificate")
	}
	cert.PrivateKey = key
	cert.Leaf = leaf
	return cert, nil
}

func isPrivateKeyType(t string) bool {
	return t == "PRIVATE KEY" || t == "RSA PRIVATE KEY" || t == "EC PRIVATE KEY"
}

func parsePrivateKey(blockType string, der []byte) (crypto.Signer, error) {
	var (
		k   any
		err error
	)
	switch blockType {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(der)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(der)
	default:
		k, err = x509.ParsePKCS8PrivateKey(der)
	}
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported private key type %T", k)
	}
	return s, nil
}

// PKCS #5 v2.1 (RFC 8018) and the algorithms OpenSSL uses with it.
var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA224 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
)

type encryptedPrivateKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Data      []byte
}

type pbes2Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	EncryptionScheme  pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt           []byte
	IterationCount int
	KeyLength      int                      `asn1:"optional"`
	PRF            pkix.AlgorithmIdentifier `asn1:"optional"`
}

// maxPBKDF2Iterations refuses absurd work factors in a corrupt file.
const maxPBKDF2Iterations = 10_000_000

// decryptPKCS8 decrypts an EncryptedPrivateKeyInfo protected with PBES2.
func decryptPKCS8(der []byte, password string) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) > 0 {
		return nil, errors.New("malformed ENCRYPTED PRIVATE KEY")
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("unsupported key encryption %v (only PBES2 is supported; re-encrypt with `openssl pkcs8 -topk8 -v2 aes-256-cbc`)", info.Algorithm.Algorithm)
	}
	var params pbes2Params
	if _, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil {
		return nil, errors.New("malformed PBES2 parameters")
	}
	if !params.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("unsupported key derivation %v (only PBKDF2 is supported)", params.KeyDerivationFunc.Algorithm)
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(params.KeyDerivationFunc.Parameters.FullBytes, &kdf); err != nil {
		return nil, errors.New("malformed PBKDF2 parameters")
	}
	if kdf.IterationCount < 1 || kdf.IterationCount > maxPBKDF2Iterations {
		return nil, fmt.Errorf("unsupported PBKDF2 iteration count %d", kdf.IterationCount)
	}
	prf, err := pbkdf2PRF(kdf.PRF.Algorithm)
	if err != nil {
		return nil, err
	}
	newCipher, keyLen, err := pbes2Cipher(params.EncryptionScheme.Algorithm)
	if err != nil {
		return nil, err
	}
	if kdf.KeyLength != 0 && kdf.KeyLength != keyLen {
		return nil, fmt.Errorf("PBKDF2 key length %d does not fit the cipher", kdf.KeyLength)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.EncryptionScheme.Parameters.FullBytes, &iv); err != nil {
		return nil, errors.New("malformed cipher parameters")
	}
	if password == "" {
		return nil, errIncorrectPassword
	}
	key, err := pbkdf2.Key(prf, password, kdf.Salt, kdf.IterationCount, keyLen)
	if err != nil {
		return nil, err
	}
	block, err := newCipher(key)
	if err != nil {
		return nil, err
	}
	bs := block.BlockSize()
	if len(iv) != bs || len(info.Data) == 0 || len(info.Data)%bs != 0 {
		return nil, errors.New("malformed encrypted key data")
	}
	out := make([]byte, len(info.Data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, info.Data)
	// PKCS #7 padding; a wrong password almost always breaks it.
	n := int(out[len(out)-1])
	if n == 0 || n > bs || !bytes.Equal(out[len(out)-n:], bytes.Repeat([]byte{byte(n)}, n)) {
		return nil, errIncorrectPassword
	}
	return out[:len(out)-n], nil
}

func pbkdf2PRF(oid asn1.ObjectIdentifier) (func() hash.Hash, error) {
	switch {
	case len(oid) == 0, oid.Equal(oidHMACSHA1): // the default is HMAC-SHA1
		return sha1.New, nil
	case oid.Equal(oidHMACSHA224):
		return sha256.New224, nil
	case oid.Equal(oidHMACSHA256):
		return sha256.New, nil
	case oid.Equal(oidHMACSHA384):
		return sha512.New384, nil
	case oid.Equal(oidHMACSHA512):
		return sha512.New, nil
	}
	return nil, fmt.Errorf("unsupported PBKDF2 hash %v", oid)
}

func pbes2Cipher(oid asn1.ObjectIdentifier) (func([]byte) (cipher.Block, error), int, error) {
	switch {
	case oid.Equal(oidAES128CBC):
		return aes.NewCipher, 16, nil
	case oid.Equal(oidAES192CBC):
		return aes.NewCipher, 24, nil
	case oid.Equal(oidAES256CBC):
		return aes.NewCipher, 32, nil
	case oid.Equal(oidDESEDE3CBC):
		return des.NewTripleDESCipher, 24, nil
	}
	return nil, 0, fmt.Errorf("unsupported key cipher %v (supported: AES-CBC, DES-EDE3-CBC)", oid)
}
