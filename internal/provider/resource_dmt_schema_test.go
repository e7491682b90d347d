package provider

import (
	"context"
	"regexp"
	"strings"
	"testing"

	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// Nested settings are blocks so that Terraform itself rejects a misspelled or misplaced
// key at validate: nested attribute objects would drop it silently
// (hashicorp/terraform#33570). Nothing here reaches a host.
func TestAccBlocks_misspelledKeysAreRejected(t *testing.T) {
	const resourceStart = `
resource "magento_data_migration_tool" "shop" {
  host         = "127.0.0.1"
  magento_root = "/var/www/magento"
`
	const dataStart = `
data "magento_installation" "shop" {
  host         = "127.0.0.1"
  magento_root = "/var/www/magento"
`
	for _, tc := range []struct {
		name, config, key string
		hint              string // Terraform's "Did you mean" suggestion, where it makes one
	}{
		{"provider ssh", `
provider "magento" {
  ssh {
    known_host_file = "/root/.ssh/known_hosts"
  }
}` + dataStart + "}\n", "known_host_file", "known_hosts_file"},
		{"provider bastion", `
provider "magento" {
  ssh {
    bastion {
      host = "127.0.0.1"
      prot = 2222
    }
  }
}` + dataStart + "}\n", "prot", "port"},
		{"secret in a resource's ssh", resourceStart + `
  ssh {
    private_key = "-----BEGIN OPENSSH PRIVATE KEY-----"
  }
}`, "private_key", ""},
		{"resource backup", resourceStart + `
  backup {
    directry = "/var/backups/magento-dmt"
  }
}`, "directry", "directory"},
		{"resource timeouts", resourceStart + `
  timeouts {
    read = "5m"
  }
}`, "read", ""},
		{"resource bastion", resourceStart + `
  ssh {
    bastion {
      host            = "127.0.0.1"
      known_host_file = "/root/.ssh/known_hosts"
    }
  }
}`, "known_host_file", "known_hosts_file"},
		{"data source ssh", dataStart + `
  ssh {
    usr = "magento"
  }
}`, "usr", "user"},
		{"data source timeouts", dataStart + `
  timeouts {
    create = "1m"
  }
}`, "create", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := `(?s)Unsupported argument.*An argument named "` + tc.key + `" is not\s+expected\s+here`
			if tc.hint != "" {
				want += `.*Did\s+you\s+mean\s+"` + tc.hint + `"`
			}
			accTest(t, []resource.TestStep{{
				Config:      tc.config,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(want),
			}})
		})
	}
}

// The same through `terraform validate` itself, as a user runs it before any plan.
func TestAccBlocks_validateNamesTheMisspelledKey(t *testing.T) {
	w := newCLIWorkspace(t, map[string]string{"main.tf": requireProvider + `
resource "magento_data_migration_tool" "shop" {
  host         = "shop1.example.com"
  magento_root = "/var/www/magento"
  backup {
    directry = "/var/backups/magento-dmt"
  }
}
`})
	out, err := w.run("validate", "-no-color")
	if flat := strings.Join(strings.Fields(out), " "); err == nil ||
		!strings.Contains(flat, `An argument named "directry" is not expected here. Did you mean "directory"?`) {
		t.Fatalf("validate must reject the misspelled key with a hint: %v\n%s", err, out)
	}
}

// The names the code reads one at a time (path.Root) are the schema's: a renamed
// attribute fails here, not silently in a plan.
func TestAttributeNamesAreInTheSchema(t *testing.T) {
	s := dataMigrationToolSchema(context.Background())
	for _, name := range []string{attrHost, attrMagentoRoot, attrSSH, attrVersion, attrID, attrMagentoVersion, attrMagentoEdition, attrLastBackup,
		attrPHP, attrComposer, attrRemoveOnDestroy, attrCarryCustomFiles, attrOnMissingRelease, attrComposerAuthWO, attrComposerAuthWOVersion} {
		_, isAttr := s.Attributes[name]
		_, isBlock := s.Blocks[name]
		if !isAttr && !isBlock {
			t.Errorf("%q is not an attribute or block of magento_data_migration_tool", name)
		}
	}
	var identity fwresource.IdentitySchemaResponse
	(&dataMigrationToolResource{}).IdentitySchema(context.Background(), fwresource.IdentitySchemaRequest{}, &identity)
	for _, name := range []string{attrHost, attrMagentoRoot} {
		if _, ok := identity.IdentitySchema.Attributes[name]; !ok {
			t.Errorf("%q is not in the identity schema", name)
		}
	}
}
