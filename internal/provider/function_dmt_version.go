package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/function"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
)

var _ function.Function = dataMigrationToolVersionFunction{}

// dataMigrationToolVersionFunction is provider::magento::data_migration_tool_version:
// the base version the tool must have for a Magento version.
type dataMigrationToolVersionFunction struct{}

func newDataMigrationToolVersionFunction() function.Function {
	return dataMigrationToolVersionFunction{}
}

func (dataMigrationToolVersionFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "data_migration_tool_version"
}

func (dataMigrationToolVersionFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "The Data Migration Tool version that a Magento version needs.",
		MarkdownDescription: "Returns the base version the Data Migration Tool must have for a Magento version: its first three numeric parts " +
			"(`\"2.4.7-p3\"` gives `\"2.4.7\"`). The newest tool release for that base may be a four-part hotfix (`2.4.8.1` for Magento `2.4.8`); " +
			"the resource installs that one when `version` is not pinned.",
		Parameters: []function.Parameter{function.StringParameter{
			Name:                "magento_version",
			MarkdownDescription: "Magento's version as `bin/magento --version` prints it, for example `2.4.7-p3`.",
		}},
		Return: function.StringReturn{},
	}
}

func (dataMigrationToolVersionFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var version string
	if resp.Error = req.Arguments.Get(ctx, &version); resp.Error != nil {
		return
	}
	base, err := magento.Base(version)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(0, err.Error())
		return
	}
	resp.Error = resp.Result.Set(ctx, base)
}
