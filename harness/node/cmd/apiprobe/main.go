// A Pod's view of the API server, for the real node's tests: it calls GET /api through the
// `kubernetes` Service the way in-cluster clients do (KUBERNETES_SERVICE_HOST/PORT, the
// projected ServiceAccount token and the cluster CA) and writes what it got as JSON to the
// termination message. Static, so it runs in an image of one file; it takes IPs only, so
// it needs no DNS.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

const secrets = "/var/run/secrets/kubernetes.io/serviceaccount/"

type result struct {
	URL       string `json:"url"`
	Status    int    `json:"status"`
	Namespace string `json:"namespace,omitempty"`
	Body      string `json:"body,omitempty"`
	Error     string `json:"error,omitempty"`
}

func main() {
	r := probe()
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
	_ = os.WriteFile("/dev/termination-log", out, 0o644)
	if r.Status != http.StatusOK {
		os.Exit(1)
	}
}

func probe() result {
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	r := result{URL: "https://" + net.JoinHostPort(host, port) + "/api"}
	token, err := os.ReadFile(secrets + "token")
	if err != nil {
		r.Error = err.Error()
		return r
	}
	namespace, _ := os.ReadFile(secrets + "namespace")
	r.Namespace = string(namespace)
	ca, err := os.ReadFile(secrets + "ca.crt")
	if err != nil {
		r.Error = err.Error()
		return r
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		r.Error = "ca.crt holds no certificate"
		return r
	}
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
	req, _ := http.NewRequest(http.MethodGet, r.URL, nil)
	req.Header.Set("Authorization", "Bearer "+string(token))
	resp, err := client.Do(req)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	r.Status, r.Body = resp.StatusCode, string(body)
	return r
}
