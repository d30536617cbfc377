package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"
)

// routeTLSTimeout bounds a route's TLS handshake.
const routeTLSTimeout = 5 * time.Second

// RouteTLS is the routes' TLS from PEM files: this node's certificate and
// key (shown to the peers it dials and to those that dial it), and the CA
// that signed every node's certificate. Both ends of a route are verified:
// a peer without a certificate of that CA cannot route to this node, and a
// peer's certificate must name the host its peers entry uses.
func RouteTLS(certFile, keyFile, caFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("cluster: route certificate %s and key %s: %w", certFile, keyFile, err)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("cluster: route CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("cluster: route CA %s holds no PEM certificate", caFile)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool, // the peers this node dials
		ClientCAs:    pool, // the peers that dial this node
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}, nil
}
