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

// A restore extracts only the archive this apply wrote in its private state directory:
// the web user, who owns var/, plants its own archive there and races the apply's ls,
// and a failed Composer still restores the root from the apply's own archive.
func TestRestoreNeverExtractsAnArchiveFromTheShop(t *testing.T) {
	for _, sh := range changeShells(t) {
		t.Run(sh.name, func(t *testing.T) {
			root, e, p := shellRoot(t, `echo '{}' > composer.json; echo "Killed"; exit 137`)
			var_ := filepath.Join(root, "var")
			if err := os.MkdirAll(var_, 0o775); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(var_, 65534, 65534); err != nil {
				t.Fatal(err)
			}
			ev := t.TempDir()
			if out, err := exec.Command("sh", "-c", `cd "$1" && cp -a composer.json composer.lock "$2"/ && mkdir -p "$2/vendor/magento" && cp -a vendor/composer "$2/vendor/" && cp -a vendor/magento/data-migration-tool "$2/vendor/magento/" &&
printf '{"name":"evil/evil","ATTACKER":1}\n' > "$2/composer.json" && tar -czf "$2.tgz" -C "$2" composer.json composer.lock vendor/composer vendor/magento/data-migration-tool`, "sh", root, ev).CombinedOutput(); err != nil {
				t.Fatalf("%v %s", err, out)
			}
			shims, bd := t.TempDir(), p.BackupDir
			writeShim(t, filepath.Join(shims, "ls"), `
case "$*" in *"/proc/"*"/fd/5"*)
  if [ ! -e `+shims+`/done ]; then : > `+shims+`/done
    for f in '`+bd+`'/*.part; do name=${f##*/}; done
    mv '`+bd+`' '`+bd+`.moved'; mkdir -p '`+bd+`'; cp '`+ev+`.tgz' "`+bd+`/$name"; chown -R nobody '`+bd+`'
  fi ;;
esac
exec `+sh.tool("ls")+` "$@"`)
			_, err := Change(context.Background(), sh.runner(shims), e, p)
			b, _ := os.ReadFile(filepath.Join(root, "composer.json"))
			var ce *ChangeError
			t.Logf("error: %v", err)
			if strings.Contains(string(b), "ATTACKER") {
				t.Errorf("the restore extracted the web user's archive by path (restored=%v): composer.json = %s", errors.As(err, &ce) && ce.Restored, b)
			}
		})
	}
}
