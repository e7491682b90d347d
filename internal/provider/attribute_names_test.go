package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
)

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
	var identity resource.IdentitySchemaResponse
	(&dataMigrationToolResource{}).IdentitySchema(context.Background(), resource.IdentitySchemaRequest{}, &identity)
	for _, name := range []string{attrHost, attrMagentoRoot} {
		if _, ok := identity.IdentitySchema.Attributes[name]; !ok {
			t.Errorf("%q is not in the identity schema", name)
		}
	}
}
