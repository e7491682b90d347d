package remote

import (
	"bytes"
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

	var fromAgent []ssh.Signer
	if c.Agent && c.AgentSocket != "" {
		conn, err := net.Dial("unix", c.AgentSocket)
		if err != nil {
			return nil, closer, fmt.Errorf("ssh agent at SSH_AUTH_SOCK is not reachable: %w", err)
		}
		closer = func() { _ = conn.Close() }
		fromAgent, _ = agent.NewClient(conn).Signers() // an agent that cannot list its keys has none to offer
	}
	if key == nil && len(c.IdentityFiles) > 0 {
		fileSigners, rest, err := identityFileSigners(c, fromAgent)
		if err != nil {
			closer()
			return nil, func() {}, err
		}
		signers, fromAgent = fileSigners, rest
		if c.IdentitiesOnly {
			fromAgent = nil // OpenSSH offers only the agent's keys of the identity files
		}
	}
	signers = append(signers, fromAgent...)

	var methods []ssh.AuthMethod
	if len(signers) > 0 {
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

// identityFileSigners loads the IdentityFiles a config file names, in order, as OpenSSH
// does: a key the agent holds (an encrypted key it unlocked, or a .pub naming it) is
// used through the agent; a key with a <file>-cert.pub or the CertificateFile gets its
// certificate. A file that does not exist is skipped (a "Host *" block often lists keys
// for other hosts, and OpenSSH's default keys mostly do not exist), unless no key at all
// is left: then the error names each with its line. A named key that exists but cannot
// be used is an error naming its line. rest are the agent's other keys.
func identityFileSigners(c Config, fromAgent []ssh.Signer) (signers, rest []ssh.Signer, err error) {
	var missing []string
	used := map[string]bool{}
	for _, id := range c.IdentityFiles {
		if _, err := os.Stat(id.Value); err != nil {
			if id.Source == DefaultIdentitySource {
				continue
			}
			missing = append(missing, fmt.Sprintf("IdentityFile %s (set by %s) does not exist", id.Value, id.Source))
			continue
		}
		key, err := identitySigner(c, id.Value, fromAgent)
		if err != nil {
			if id.Source == DefaultIdentitySource {
				continue // OpenSSH skips a default key it cannot use
			}
			return nil, nil, fmt.Errorf("IdentityFile %s (set by %s): %w", id.Value, id.Source, err)
		}
		used[string(key.PublicKey().Marshal())] = true
		if cert, err := withCertificateFile(id.Value+"-cert.pub", key); err == nil {
			key = cert
		} else if cert, err := withCertificate(c, key); err == nil {
			key = cert
		} else if len(c.IdentityFiles) == 1 {
			return nil, nil, c.fromFile("certificate_file", err)
		}
		signers = append(signers, key)
	}
	for _, s := range fromAgent {
		if !used[string(s.PublicKey().Marshal())] {
			rest = append(rest, s)
		}
	}
	if len(signers) == 0 && (len(rest) == 0 || c.IdentitiesOnly) && c.Password == "" {
		if len(missing) == 0 {
			return nil, nil, errors.New("no SSH credentials: no IdentityFile could be used and the ssh-agent holds none of their keys")
		}
		return nil, nil, errors.New(strings.Join(missing, "; "))
	}
	return signers, rest, nil
}

// identitySigner is the key of an IdentityFile: the agent's when it holds it (found by
// the .pub next to the file, the file itself when it is a public key, or the public
// half of an encrypted key), else the file's private key.
func identitySigner(c Config, path string, fromAgent []ssh.Signer) (ssh.Signer, error) {
	if pub := publicKeyOf(path); pub != nil {
		for _, s := range fromAgent {
			if bytes.Equal(s.PublicKey().Marshal(), pub.Marshal()) {
				return s, nil
			}
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if _, _, _, _, err := ssh.ParseAuthorizedKey(b); err == nil {
		return nil, errors.New("is a public key, and no ssh-agent holds its private key")
	}
	k := c
	k.PrivateKey, k.PrivateKeyFile = "", path
	return loadPrivateKey(k)
}

// publicKeyOf reads the public key of an identity file without decrypting it.
func publicKeyOf(path string) ssh.PublicKey {
	for _, p := range []string{path, path + ".pub"} {
		if b, err := os.ReadFile(p); err == nil {
			if pub, _, _, _, err := ssh.ParseAuthorizedKey(b); err == nil {
				return pub
			}
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	_, err = ssh.ParseRawPrivateKey(b)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return missing.PublicKey
	}
	return nil
}

// withCertificateFile pairs key with the certificate in path when it is one of key's.
func withCertificateFile(path string, key ssh.Signer) (ssh.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return withCertificate(Config{Certificate: string(b)}, key)
}
