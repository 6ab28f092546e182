using System.IO.Compression;
using System.Text;
using Anvil.Server.Features.Addons.Packages;

namespace Anvil.Server.Tests.Features.Addons.Packages;

public sealed class addon_package_reader : IDisposable
{
    static readonly AddonPackageLimits Limits = new(MaxEntries: 100, MaxUnpackedBytes: 1024 * 1024);

    readonly string _folder = Directory.CreateTempSubdirectory("anvil-reader-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A zip of the given entries; a null content makes a folder entry; a mode sets the entry's unix file type.</summary>
    string Zip(params (string Name, string? Content, int Mode)[] entries)
    {
        var path = Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".zip");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            foreach (var (name, content, mode) in entries)
            {
                var entry = zip.CreateEntry(name);
                if (mode != 0)
                    entry.ExternalAttributes = mode << 16;
                if (content is not null)
                {
                    using var stream = entry.Open();
                    stream.Write(Encoding.UTF8.GetBytes(content));
                }
            }
        }
        return path;
    }

    string Zip(params (string Name, string? Content)[] entries) => Zip([.. entries.Select(e => (e.Name, e.Content, 0))]);

    const string PackagePy = "name = \"example\"\nversion = \"1.2.0\"\ntitle = \"Example\"\n";

    [Fact]
    public void the_package_layout_keeps_every_file_of_the_zip_in_the_version_folder()
    {
        var zip = Zip(("package.py", PackagePy), ("server/", null), ("server/__init__.py", "# server"), ("private/client.zip", "zipbytes"));

        var package = AddonPackageReader.Read(zip, Limits);

        Assert.Equal(("example", "1.2.0", "package"), (package.Name, package.Version, package.Layout));
        Assert.Equal("Example", package.Metadata["title"]!.GetValue<string>());
        Assert.Equal(["package.py", "private/client.zip", "server/__init__.py"], package.Files.Select(f => f.Path).Order());
        Assert.Equal(PackagePy.Length + "# server".Length + "zipbytes".Length, package.UnpackedBytes);
    }

    [Fact]
    public void the_manifest_layout_installs_the_addon_folder_and_maps_its_names()
    {
        var zip = Zip(("manifest.json", """{"addon_name": "legacy", "addon_version": "0.3.0", "required_ayon_version": "1.0.0"}"""),
            ("addon/__init__.py", "# legacy"), ("addon/private/readme.txt", "hi"), ("notes.txt", "not installed"));

        var package = AddonPackageReader.Read(zip, Limits);

        Assert.Equal(("legacy", "0.3.0", "manifest"), (package.Name, package.Version, package.Layout));
        Assert.Equal("1.0.0", package.Metadata["required_ayon_version"]!.GetValue<string>());
        Assert.Equal(["__init__.py", "private/readme.txt"], package.Files.Select(f => f.Path).Order());
    }

    [Fact]
    public void a_package_yml_is_read_with_yaml_types()
    {
        var zip = Zip(("package.yml", "name: yamlish\nversion: '2.0.0'\ntitle: Yaml addon\nproject_can_override_addon_version: true\nservices:\n  worker:\n    image: studio/worker:2.0.0\n"),
            ("server/__init__.py", ""));

        var package = AddonPackageReader.Read(zip, Limits);

        Assert.Equal(("yamlish", "2.0.0"), (package.Name, package.Version));
        Assert.True(package.Metadata["project_can_override_addon_version"]!.GetValue<bool>());
        Assert.Equal("studio/worker:2.0.0", package.Metadata["services"]!["worker"]!["image"]!.GetValue<string>());
    }

    [Fact]
    public void extract_writes_the_files_under_the_version_folder_only()
    {
        var zip = Zip(("manifest.json", """{"addon_name": "legacy", "addon_version": "0.3.0"}"""), ("addon/server/__init__.py", "code"), ("other.txt", "x"));
        var package = AddonPackageReader.Read(zip, Limits);
        var target = Path.Combine(_folder, "out");

        AddonPackageReader.Extract(zip, package, target, Limits);

        Assert.Equal("code", File.ReadAllText(Path.Combine(target, "server", "__init__.py")));
        Assert.Equal(["server/__init__.py"], Directory.GetFiles(target, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(target, f).Replace('\\', '/')));
    }

    [Theory]
    [InlineData("../escape.py", "points outside the version folder")]
    [InlineData("server/../../escape.py", "points outside the version folder")]
    [InlineData("..\\escape.py", "points outside the version folder")]
    [InlineData("/etc/passwd", "has an absolute path")]
    [InlineData("C:/windows/evil.dll", "has an absolute path")]
    [InlineData("server/bad\u0001name.py", "has a control character in its name")]
    public void entries_that_could_land_outside_the_version_folder_refuse_the_package(string entry, string reason)
    {
        var zip = Zip(("package.py", PackagePy), (entry, "x"));

        var error = Assert.Throws<InvalidAddonPackage>(() => AddonPackageReader.Read(zip, Limits));

        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void a_symbolic_link_refuses_the_package()
    {
        var zip = Zip(("package.py", PackagePy, 0), ("server/link", "/etc/passwd", 0xA1FF));

        var error = Assert.Throws<InvalidAddonPackage>(() => AddonPackageReader.Read(zip, Limits));

        Assert.Equal("The zip entry 'server/link' is a symbolic link; packages may hold only files and folders", error.Message);
    }

    [Fact]
    public void a_device_or_fifo_refuses_the_package()
    {
        var zip = Zip(("package.py", PackagePy, 0), ("server/pipe", "", 0x11B6));

        Assert.Contains("is not a regular file", Assert.Throws<InvalidAddonPackage>(() => AddonPackageReader.Read(zip, Limits)).Message);
    }

    [Fact]
    public void too_many_entries_are_refused_from_the_zip_directory_alone()
    {
        var zip = Zip([("package.py", PackagePy), .. Enumerable.Range(0, 100).Select(i => ($"public/{i}.txt", (string?)"x"))]);

        var error = Assert.Throws<InvalidAddonPackage>(() => AddonPackageReader.Read(zip, Limits));

        Assert.Equal("The zip has 101 entries; at most 100 are allowed (AYON_ADDON_MAX_ENTRIES)", error.Message);
    }

    [Fact]
    public void a_package_that_unpacks_past_the_limit_is_refused_before_anything_is_written()
    {
        var zip = Zip(("package.py", PackagePy), ("public/zeros.bin", new string('0', 2 * 1024 * 1024)));

        var error = Assert.Throws<InvalidAddonPackage>(() => AddonPackageReader.Read(zip, Limits));

        Assert.Equal("The package unpacks to more than 1048576 bytes, the limit (AYON_ADDON_MAX_UNPACKED_SIZE)", error.Message);
        Assert.True(new FileInfo(zip).Length < 64 * 1024, "the zip itself is small: a bomb");
    }

    [Theory]
    [InlineData("name = \"x\"\nversion = \"1.0\"", "The version '1.0' of addon x is not a semantic version")]
    [InlineData("name = \"x\"\nversion = \"v1.0.0\"", "The version 'v1.0.0' of addon x is not a semantic version")]
    [InlineData("version = \"1.0.0\"", "The addon has no name: the package file must set it")]
    [InlineData("name = \"x\"", "The addon has no version")]
    [InlineData("name = \"x/y\"\nversion = \"1.0.0\"", "The addon name 'x/y' is not valid")]
    [InlineData("name = \"x\"\nversion = 1", "The addon's version in the package file must be a string")]
    public void metadata_without_a_name_or_a_semantic_version_refuses_the_package(string packagePy, string reason)
    {
        var zip = Zip(("package.py", packagePy));

        Assert.StartsWith(reason, Assert.Throws<InvalidAddonPackage>(() => AddonPackageReader.Read(zip, Limits)).Message);
    }

    [Fact]
    public void a_file_that_is_not_a_zip_is_refused()
    {
        var path = Path.Combine(_folder, "not.zip");
        File.WriteAllText(path, "this is plain text, not a zip archive");

        Assert.StartsWith("The upload is not a zip archive", Assert.Throws<InvalidAddonPackage>(() => AddonPackageReader.Read(path, Limits)).Message);
    }

    [Fact]
    public void a_zip_of_the_addon_folder_instead_of_its_contents_gets_a_hint()
    {
        var zip = Zip(("example/package.py", PackagePy), ("example/server/__init__.py", ""));

        var error = Assert.Throws<InvalidAddonPackage>(() => AddonPackageReader.Read(zip, Limits));

        Assert.Contains("zip the folder's contents, not the folder", error.Message);
    }

    [Fact]
    public void a_manifest_that_disagrees_with_its_package_file_is_refused()
    {
        var zip = Zip(("manifest.json", """{"addon_name": "legacy", "addon_version": "0.3.0"}"""), ("addon/package.py", "name = \"legacy\"\nversion = \"0.4.0\""));

        Assert.Contains("disagree on the version", Assert.Throws<InvalidAddonPackage>(() => AddonPackageReader.Read(zip, Limits)).Message);
    }

    [Fact]
    public void the_same_path_twice_is_refused()
    {
        var zip = Zip(("package.py", PackagePy), ("server/a.py", "1"), ("server/./a.py", "2"));

        Assert.Equal("The zip holds 'server/a.py' twice", Assert.Throws<InvalidAddonPackage>(() => AddonPackageReader.Read(zip, Limits)).Message);
    }
}
