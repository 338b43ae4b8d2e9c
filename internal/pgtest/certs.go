package pgtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ECDSA P-256 keys take microseconds to generate where RSA-2048 takes tens of
// milliseconds each, and both OpenSSL (the server) and crypto/tls accept them.

type certAuthority struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// writeCerts generates the CA, the server and client certificates and the
// untrusted CA into dir, and gives the server key to the server's OS user:
// the server refuses a key that others can read.
func (c *Cluster) writeCerts(dir string) error {
	c.CACert = filepath.Join(dir, "ca.crt")
	c.ServerCert = filepath.Join(dir, "server.crt")
	c.ServerKey = filepath.Join(dir, "server.key")
	c.ClientCert = filepath.Join(dir, "client.crt")
	c.ClientKey = filepath.Join(dir, "client.key")
	c.WrongCACert = filepath.Join(dir, "wrong-ca.crt")

	now := time.Now()
	ca, err := newCA("pgtest CA", now)
	if err != nil {
		return err
	}
	wrong, err := newCA("pgtest untrusted CA", now)
	if err != nil {
		return err
	}
	server := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	client := &x509.Certificate{
		// The cert method of pg_hba.conf maps the CN to the role name.
		Subject:     pkix.Name{CommonName: string(Cert)},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	steps := []func() error{
		func() error { return writePEM(c.CACert, "CERTIFICATE", ca.cert.Raw, 0o644) },
		func() error { return writePEM(c.WrongCACert, "CERTIFICATE", wrong.cert.Raw, 0o644) },
		func() error { return ca.issue(server, now, c.ServerCert, c.ServerKey) },
		func() error { return ca.issue(client, now, c.ClientCert, c.ClientKey) },
		func() error { return chownTo(c.ServerKey, c.cred) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("pgtest: certificates: %w", err)
		}
	}
	return nil
}

func newCA(name string, now time.Time) (*certAuthority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &certAuthority{cert: cert, key: key}, nil
}

// issue signs tmpl with a fresh key and writes the certificate and the key.
func (ca *certAuthority) issue(tmpl *x509.Certificate, now time.Time, certPath, keyPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl.SerialNumber = serial()
	tmpl.NotBefore = now.Add(-time.Hour)
	tmpl.NotAfter = now.AddDate(10, 0, 0)
	tmpl.BasicConstraintsValid = true
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := writePEM(certPath, "CERTIFICATE", der, 0o644); err != nil {
		return err
	}
	// libpq and the server both refuse keys that others can read.
	return writePEM(keyPath, "PRIVATE KEY", keyDER, 0o600)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		// crypto/rand.Int only fails when the reader does, and since Go
		// 1.24 crypto/rand.Reader never fails.
		panic("BUG: crypto/rand failed: " + err.Error())
	}
	return n.Add(n, big.NewInt(1))
}

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(path, data, mode); err != nil {
		return err
	}
	// WriteFile's mode is filtered by the umask; the server needs exactly
	// this one.
	return os.Chmod(path, mode)
}

// chownTo gives path to the server's OS user, when there is one.
func chownTo(path string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	return os.Chown(path, int(cred.Uid), int(cred.Gid))
}
