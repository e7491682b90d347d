package magento

import (
	"context"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
)

// Runner runs one shell command on the host. label names it in errors and logs and
// never holds secrets; stdin is how secrets travel. *remote.Client implements it.
type Runner interface {
	Run(ctx context.Context, label, cmd string, stdin []byte) (shell.Result, error)
}

// SharedRunner runs short, read-only commands without opening a session for each
// (*remote.Host keeps one shell per connection for them). Reads use it when offered.
type SharedRunner interface {
	RunShared(ctx context.Context, label, cmd string) (shell.Result, error)
}

// runRead runs a read-only command, in the shared shell when r offers one.
func runRead(ctx context.Context, r Runner, label, cmd string) (shell.Result, error) {
	if shared, ok := r.(SharedRunner); ok {
		return shared.RunShared(ctx, label, cmd)
	}
	return r.Run(ctx, label, cmd, nil)
}
