using System.Text.Json.Nodes;
using Anvil.Server.Features.Addons.Packages;

namespace Anvil.Server.Tests.Features.Addons.Packages;

public class package_py
{
    [Fact]
    public void reads_the_assignments_real_packages_make()
    {
        var metadata = PackagePy.Evaluate(""""
            # -*- coding: utf-8 -*-
            """Package declaring the addon."""
            name = "tracker"
            title = 'Tracker'
            version = "1.6.4+dev"
            client_dir = "ayon_tracker"

            services = {
                "leecher": {"image": f"studio/tracker-leecher:{version}"},
                "processor": {"image": f"studio/{name}-processor:{version}"},  # trailing comma
            }

            plugin_for = ["ayon_server"]
            project_can_override_addon_version = True
            app_host_name: str = None
            ayon_server_version = ">=1.8.4,<2.0.0"
            ayon_required_addons = {
                "core": ">=0.4.3",
            }
            ayon_compatible_addons = {}
            """");

        Assert.Equal("tracker", metadata["name"]!.GetValue<string>());
        Assert.Equal("Tracker", metadata["title"]!.GetValue<string>());
        Assert.Equal("studio/tracker-leecher:1.6.4+dev", metadata["services"]!["leecher"]!["image"]!.GetValue<string>());
        Assert.Equal("studio/tracker-processor:1.6.4+dev", metadata["services"]!["processor"]!["image"]!.GetValue<string>());
        Assert.Equal("""["ayon_server"]""", metadata["plugin_for"]!.ToJsonString());
        Assert.True(metadata["project_can_override_addon_version"]!.GetValue<bool>());
        Assert.True(metadata.ContainsKey("app_host_name"));
        Assert.Null(metadata["app_host_name"]);
        Assert.Equal(">=0.4.3", metadata["ayon_required_addons"]!["core"]!.GetValue<string>());
        Assert.Equal("{}", metadata["ayon_compatible_addons"]!.ToJsonString());
    }

    [Fact]
    public void reads_numbers_tuples_escapes_triple_quotes_joined_strings_and_continued_lines()
    {
        var metadata = PackagePy.Evaluate(""""
            count = -3
            ratio = 1.5e3
            big = 1_000
            pair = ("a", 2)
            single = ("only")
            one_tuple = ("one",)
            escaped = "tab\tquote\"unicode\u00e9"
            raw = r"C:\tools\new"
            joined = "ab" "cd" + "ef"
            lists = [1] + [2]
            long_text = """line one
            line two"""
            braces = f"{{literal}} {count}"
            continued = \
                "next line"
            __private__ = "dropped"
            """");

        Assert.Equal(-3, metadata["count"]!.GetValue<long>());
        Assert.Equal(1500.0, metadata["ratio"]!.GetValue<double>());
        Assert.Equal(1000, metadata["big"]!.GetValue<long>());
        Assert.Equal("""["a",2]""", metadata["pair"]!.ToJsonString());
        Assert.Equal("only", metadata["single"]!.GetValue<string>());
        Assert.Equal("""["one"]""", metadata["one_tuple"]!.ToJsonString());
        Assert.Equal("tab\tquote\"unicodeé", metadata["escaped"]!.GetValue<string>());
        Assert.Equal(@"C:\tools\new", metadata["raw"]!.GetValue<string>());
        Assert.Equal("abcdef", metadata["joined"]!.GetValue<string>());
        Assert.Equal("[1,2]", metadata["lists"]!.ToJsonString());
        Assert.Equal("line one\nline two", metadata["long_text"]!.GetValue<string>());
        Assert.Equal("{literal} -3", metadata["braces"]!.GetValue<string>());
        Assert.Equal("next line", metadata["continued"]!.GetValue<string>());
        Assert.False(metadata.ContainsKey("__private__"));
    }

    [Theory]
    [InlineData("import os\nname = 'x'", "line 1: 'import'")]
    [InlineData("name = 'x'\nversion = get_version()", "line 2: a call of 'get_version'")]
    [InlineData("version = f'{major}.0.0'", "line 1: 'major' is used before it is assigned")]
    [InlineData("name = 'x'\nif True:\n    name = 'y'", "line 2: 'if'")]
    [InlineData("name = 'x'\n  version = '1.0.0'", "line 2: an indented line")]
    [InlineData("name = 'x'\nversion = f'{name.upper()}'", "line 2: the f-string field '{name.upper()}'")]
    [InlineData("name = os.path", "line 1: the character '.'")]
    [InlineData("name = 'x' * 3", "line 1: the character '*'")]
    [InlineData("name = b'x'", "line 1: a bytes literal")]
    [InlineData("name = 'unclosed", "line 1: a string is not closed")]
    [InlineData("deps = [1, 2", "line 1: a bracket is not closed")]
    public void refuses_anything_beyond_literal_assignments_naming_the_line(string source, string expected)
    {
        var error = Assert.Throws<InvalidAddonPackage>(() => PackagePy.Evaluate(source));
        Assert.Contains("package.py " + expected, error.Message);
    }

    [Fact]
    public void an_unsupported_construct_explains_what_is_supported()
    {
        var error = Assert.Throws<InvalidAddonPackage>(() => PackagePy.Evaluate("name = compute()"));
        Assert.Contains("without running it", error.Message);
        Assert.Contains("f-strings over names assigned earlier", error.Message);
    }

    [Fact]
    public void a_name_assigned_again_keeps_its_last_value_and_earlier_uses_keep_theirs()
    {
        var metadata = PackagePy.Evaluate("version = '1.0.0'\nimage = f'x:{version}'\nversion = '2.0.0'");

        Assert.Equal("2.0.0", metadata["version"]!.GetValue<string>());
        Assert.Equal("x:1.0.0", metadata["image"]!.GetValue<string>());
        Assert.IsType<JsonObject>(metadata);
    }
}
