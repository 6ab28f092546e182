using Anvil.Server.Features.Addons;

namespace Anvil.Server.Tests.Features.Addons;

/// <summary><c>private/pyproject.toml</c> read as the catalogue's <c>clientPyproject</c>.</summary>
public sealed class client_pyproject
{
    [Fact]
    public void reads_what_pyproject_files_hold()
    {
        var document = Pyproject.Parse("""
            # comment
            [tool.poetry]
            name = "ayon-core"
            version = "1.0.0"
            authors = ["A <a@b.c>", 'B']
            "quoted key" = 1_000
            ratio = 0.5
            enabled = true
            released = 2024-01-02
            description = \"\"\"
            two \
              lines\"\"\"
            [tool.poetry.dependencies]
            python = ">=3.9.1,<3.10"
            clique = { version = "1.6.*", optional = false }
            dotted.key = "x"

            [[tool.poetry.source]]
            name = "pypi"
            """.Replace("\\\"", "\"", StringComparison.Ordinal));

        var poetry = document["tool"]!["poetry"]!;
        Assert.Equal("ayon-core", poetry["name"]!.GetValue<string>());
        Assert.Equal(["A <a@b.c>", "B"], poetry["authors"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(1000, poetry["quoted key"]!.GetValue<long>());
        Assert.Equal(0.5, poetry["ratio"]!.GetValue<double>());
        Assert.True(poetry["enabled"]!.GetValue<bool>());
        Assert.Equal("2024-01-02", poetry["released"]!.GetValue<string>());
        Assert.Equal("two lines", poetry["description"]!.GetValue<string>());
        Assert.Equal("1.6.*", poetry["dependencies"]!["clique"]!["version"]!.GetValue<string>());
        Assert.Equal("x", poetry["dependencies"]!["dotted"]!["key"]!.GetValue<string>());
        Assert.Equal("pypi", poetry["source"]![0]!["name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("[project\nname = 1")]
    [InlineData("name = ")]
    [InlineData("name = \"unterminated")]
    public void refuses_a_bad_document_naming_the_line(string text)
    {
        var error = Assert.Throws<Tomlyn.TomlException>(() => Pyproject.Parse(text));

        Assert.Matches(@"\(\d+,\d+\)", error.Message);
    }
}
