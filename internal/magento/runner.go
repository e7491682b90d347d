package magento

import (
	"context"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// Runner runs one shell command on the host. label names it in errors and logs and
// never holds secrets; stdin is how secrets travel. *remote.Client implements it.
type Runner interface {
	Run(ctx context.Context, label, cmd string, stdin []byte) (remote.Result, error)
}
