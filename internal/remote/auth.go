package remote

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// authMethods builds the client's auth methods: public keys first (the configured key,
// possibly with its certificate, then the agent's keys), then password. names says
// which, for the debug log. The closer releases the agent socket after the handshake.
func authMethods(c Config) (methods []ssh.AuthMethod, names []string, closer func(), err error) {
	methods, closer, err = buildAuthMethods(c)
	if err != nil {
		return nil, nil, closer, err
	}
	if c.PrivateKey != "" || c.PrivateKeyFile != "" || len(c.IdentityFiles) > 0 {
		names = append(names, "private key")
		if c.Certificate != "" || c.CertificateFile != "" {
			names[len(names)-1] = "certificate"
		}
	}
	if c.Agent && c.AgentSocket != "" {
		names = append(names, "agent")
	}
	if c.Password != "" {
		names = append(names, "password")
	}
	return methods, names, closer, nil
}

func buildAuthMethods(c Config) ([]ssh.AuthMethod, func(), error) {
	closer := func() {}
	var signers []ssh.Signer

	key, err := loadPrivateKey(c)
	if err != nil {
		return nil, closer, err
	}
	if key != nil {
		if key, err = withCertificate(c, key); err != nil {
			return nil, closer, c.fromFile("certificate_file", err)
		}
		signers = append(signers, key)
	}
	if key == nil && len(c.IdentityFiles) > 0 {
		if signers, err = identityFileSigners(c); err != nil {
			return nil, closer, err
		}
	}

	var methods []ssh.AuthMethod
	if c.Agent && c.AgentSocket != "" {
		conn, err := net.Dial("unix", c.AgentSocket)
		if err != nil {
			return nil, closer, fmt.Errorf("ssh agent at SSH_AUTH_SOCK is not reachable: %w", err)
		}
		closer = func() { _ = conn.Close() }
		agentSigners := agent.NewClient(conn).Signers
		methods = append(methods, ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
			fromAgent, err := agentSigners()
			if err != nil {
				return signers, nil //nolint:nilerr // the configured key still works without the agent
			}
			return append(append([]ssh.Signer{}, signers...), fromAgent...), nil
		}))
	} else if len(signers) > 0 {
		methods = append(methods, ssh.PublicKeys(signers...))
	}

	if c.Password != "" {
		password := c.Password
		methods = append(methods,
			ssh.Password(password),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = password
				}
				return answers, nil
			}))
	}
	if len(methods) == 0 {
		closer()
		return nil, func() {}, errors.New("no SSH credentials: set private_key, private_key_file or password, or run an ssh-agent (SSH_AUTH_SOCK)")
	}
	return methods, closer, nil
}

func loadPrivateKey(c Config) (ssh.Signer, error) {
	pemBytes := []byte(c.PrivateKey)
	source := "private_key"
	if c.PrivateKeyFile != "" {
		b, err := os.ReadFile(c.PrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("reading private_key_file: %w", err)
		}
		pemBytes, source = b, "private_key_file "+c.PrivateKeyFile
	}
	if len(pemBytes) == 0 {
		return nil, nil
	}
	var (
		signer ssh.Signer
		err    error
	)
	if c.PrivateKeyPassphrase != "" {
		signer, err = ssh.ParsePrivateKeyWithPassphrase(pemBytes, []byte(c.PrivateKeyPassphrase))
	} else {
		signer, err = ssh.ParsePrivateKey(pemBytes)
	}
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing):
		return nil, fmt.Errorf("%s is encrypted: set private_key_passphrase", source)
	case errors.Is(err, x509.IncorrectPasswordError):
		return nil, fmt.Errorf("private_key_passphrase does not decrypt %s", source)
	case err != nil && c.PrivateKeyPassphrase != "" && err.Error() == "ssh: not an encrypted key":
		// A passphrase for a plain key is harmless; use the key as it is.
		return ssh.ParsePrivateKey(pemBytes)
	case err != nil:
		return nil, fmt.Errorf("parsing %s: %w", source, err)
	}
	return signer, nil
}

func withCertificate(c Config, key ssh.Signer) (ssh.Signer, error) {
	line := []byte(c.Certificate)
	if c.CertificateFile != "" {
		b, err := os.ReadFile(c.CertificateFile)
		if err != nil {
			return nil, fmt.Errorf("reading certificate_file: %w", err)
		}
		line = b
	}
	if len(line) == 0 {
		return key, nil
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(line)
	if err != nil {
		return nil, fmt.Errorf("parsing the SSH certificate: %w", err)
	}
	cert, ok := pub.(*ssh.Certificate)
	if !ok {
		return nil, errors.New("certificate is a plain public key, not an OpenSSH certificate (ssh-keygen -s makes one)")
	}
	signer, err := ssh.NewCertSigner(cert, key)
	if err != nil {
		return nil, fmt.Errorf("the certificate does not belong to the private key: %w", err)
	}
	return signer, nil
}

// identityFileSigners loads the IdentityFiles a config file names, in order, each with
// the certificate when it belongs to that key. As in OpenSSH, a file that does not exist
// is skipped (a "Host *" block often lists keys for other hosts), unless none exists and
// no agent or password could stand in: then the error names each with its line. A key
// that exists but cannot be used is an error naming its line.
func identityFileSigners(c Config) ([]ssh.Signer, error) {
	var (
		signers []ssh.Signer
		missing []string
	)
	for _, id := range c.IdentityFiles {
		if _, err := os.Stat(id.Value); errors.Is(err, os.ErrNotExist) {
			missing = append(missing, fmt.Sprintf("IdentityFile %s (set by %s) does not exist", id.Value, id.Source))
			continue
		}
		k := c
		k.PrivateKey, k.PrivateKeyFile = "", id.Value
		key, err := loadPrivateKey(k)
		if err != nil {
			return nil, fmt.Errorf("IdentityFile %s (set by %s): %w", id.Value, id.Source, err)
		}
		if cert, err := withCertificate(c, key); err == nil {
			key = cert
		} else if len(c.IdentityFiles) == 1 {
			return nil, c.fromFile("certificate_file", err)
		}
		signers = append(signers, key)
	}
	if len(signers) == 0 && (!c.Agent || c.AgentSocket == "") && c.Password == "" {
		return nil, errors.New(strings.Join(missing, "; "))
	}
	return signers, nil
}
