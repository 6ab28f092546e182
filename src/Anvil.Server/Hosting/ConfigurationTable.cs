using System.Text;

namespace Anvil.Server.Hosting;

/// <summary>The README's configuration table, printed from <see cref="AyonOptions"/> so the two never disagree.</summary>
public static class ConfigurationTable
{
    public static string Markdown()
    {
        var defaults = new AyonOptions();
        var table = new StringBuilder("| variable | default | description |\n|---|---|---|\n");
        foreach (var (property, setting) in AyonOptions.Settings)
        {
            var value = property.GetValue(defaults);
            var shown = value switch
            {
                null => "(unset)",
                bool flag => flag ? "true" : "false",
                _ when setting.Secret && property.Name == nameof(AyonOptions.AuthPassPepper) => "AYON's public default",
                _ => $"`{value}`",
            };
            table.Append($"| `{setting.Variable}` | {shown} | {setting.Description} |\n");
        }
        return table.ToString();
    }
}
