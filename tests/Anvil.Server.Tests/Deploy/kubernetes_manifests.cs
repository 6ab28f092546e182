using System.Diagnostics;
using Anvil.Server.Hosting;
using YamlDotNet.RepresentationModel;

namespace Anvil.Server.Tests.Deploy;

/// <summary>
/// deploy/kubernetes rendered as an operator would (<c>kubectl kustomize</c>, Debian's kubectl on the
/// machine): the objects a studio needs, probes on the health routes, resources, replicas, and no
/// secret written in plain text anywhere in the repository's manifests.
/// </summary>
public sealed class kubernetes_manifests
{
    static readonly string Root = FindRoot();
    static readonly string Kubernetes = Path.Combine(Root, "deploy", "kubernetes");
    static readonly string[] SecretVariables = [.. AyonOptions.Settings.Where(s => s.Setting.Secret).Select(s => s.Setting.Variable)];

    [Fact]
    public void the_base_renders_a_deployment_with_probes_resources_and_replicas_and_what_runs_around_it()
    {
        var objects = Render(Path.Combine(Kubernetes, "base"));

        var deployment = Single(objects, "Deployment", "anvil");
        Assert.Equal("3", Scalar(deployment, "spec", "replicas"));
        var container = Container(deployment);
        Assert.Equal("/health/ready", Scalar(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal("/health/live", Scalar(container, "livenessProbe", "httpGet", "path"));
        Assert.Equal("/health/live", Scalar(container, "startupProbe", "httpGet", "path"));
        Assert.Equal("http", Scalar(container, "readinessProbe", "httpGet", "port"));
        Assert.Equal("5000", Scalar(((YamlSequenceNode)container["ports"])[0], "containerPort"));
        Assert.NotNull(Scalar(container, "resources", "requests", "cpu"));
        Assert.NotNull(Scalar(container, "resources", "requests", "memory"));
        Assert.NotNull(Scalar(container, "resources", "limits", "memory"));
        Assert.Equal("true", Scalar(deployment, "spec", "template", "spec", "securityContext", "runAsNonRoot"));
        Assert.Equal("serve", ((YamlSequenceNode)container["args"])[0].ToString());

        Assert.Equal("setup", ((YamlSequenceNode)Container(Single(objects, "Job", "anvil-setup"))["args"])[0].ToString());
        Assert.Equal("3", Scalar(Single(objects, "HorizontalPodAutoscaler", "anvil"), "spec", "minReplicas"));
        Assert.Equal("Deployment", Scalar(Single(objects, "HorizontalPodAutoscaler", "anvil"), "spec", "scaleTargetRef", "kind"));
        Assert.Equal("1", Scalar(Single(objects, "PodDisruptionBudget", "anvil"), "spec", "maxUnavailable"));
        var service = Single(objects, "Service", "anvil");
        Assert.Equal("5000", Scalar(((YamlSequenceNode)((YamlMappingNode)service["spec"])["ports"])[0], "port"));
        Single(objects, "Ingress", "anvil");
        Assert.StartsWith("anvil-config", Name(objects.Single(o => Kind(o) == "ConfigMap")));
        Assert.DoesNotContain(objects, o => Kind(o) == "Secret");
    }

    [Fact]
    public void the_dev_overlay_renders_two_replicas_in_its_namespace_with_a_secret_generated_from_an_uncommitted_file()
    {
        // The overlay's secrets.env is never committed: a copy of the tree gets one, as a developer would.
        var copy = Directory.CreateTempSubdirectory("anvil-kustomize-").FullName;
        try
        {
            CopyTree(Kubernetes, copy);
            File.WriteAllLines(Path.Combine(copy, "overlays", "dev", "secrets.env"), SecretVariables.Select(v => $"{v}=test-{v.ToLowerInvariant()}"));

            var objects = Render(Path.Combine(copy, "overlays", "dev"));

            Assert.All(objects, o => Assert.Equal("anvil-dev", Scalar(o, "metadata", "namespace")));
            var deployment = Single(objects, "Deployment", "anvil");
            Assert.Equal("2", Scalar(deployment, "spec", "replicas"));
            Assert.Equal("localhost/anvil:latest", Scalar(Container(deployment), "image"));
            Assert.Equal("2", Scalar(Single(objects, "HorizontalPodAutoscaler", "anvil"), "spec", "minReplicas"));
            var secret = objects.Single(o => Kind(o) == "Secret");
            var secretName = Name(secret);
            Assert.StartsWith("anvil-secrets", secretName);
            Assert.Equal(SecretVariables.Order(), ((YamlMappingNode)secret["data"]).Children.Keys.Select(k => k.ToString()).Order());
            var references = ((YamlSequenceNode)Container(deployment)["envFrom"]).Cast<YamlMappingNode>()
                .Where(e => e.Children.ContainsKey("secretRef")).Select(e => Scalar(e, "secretRef", "name"));
            Assert.Equal([secretName], references);
            var config = (YamlMappingNode)objects.Single(o => Kind(o) == "ConfigMap")["data"];
            Assert.Equal("DEBUG", config["AYON_LOG_LEVEL"].ToString());
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public void no_secret_is_written_in_plain_text_in_the_manifests()
    {
        var objects = Render(Path.Combine(Kubernetes, "base"));
        foreach (var config in objects.Where(o => Kind(o) == "ConfigMap"))
            Assert.Empty(((YamlMappingNode)config["data"]).Children.Keys.Select(k => k.ToString()).Intersect(SecretVariables));
        foreach (var workload in objects.Where(o => Kind(o) is "Deployment" or "Job"))
            Assert.False(Container(workload).Children.ContainsKey("env"), $"{Name(workload)} sets variables inline; secrets belong in anvil-secrets");

        var committed = Directory.EnumerateFiles(Kubernetes, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith("secrets.env", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(committed);
        foreach (var file in committed)
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotContain("kind: Secret", text);
            foreach (var line in text.Split('\n').Select(l => l.Trim()))
                foreach (var variable in SecretVariables)
                {
                    // Only the example may name a secret's value, and only as a <placeholder>.
                    if (line.StartsWith(variable + "=", StringComparison.Ordinal) || line.StartsWith(variable + ":", StringComparison.Ordinal) || line.StartsWith("- " + variable + "=", StringComparison.Ordinal))
                        Assert.True(file.EndsWith("secrets.env.example", StringComparison.Ordinal) && line.Contains('<'), $"{file}: {line}");
                }
        }
        var ignored = File.ReadAllText(Path.Combine(Kubernetes, "overlays", "dev", ".gitignore"));
        Assert.Contains("secrets.env", ignored);
    }

    static List<YamlMappingNode> Render(string kustomization)
    {
        var start = new ProcessStartInfo("kubectl", ["kustomize", kustomization]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start kubectl");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"kubectl kustomize {kustomization}: {errors.Result}");
        var stream = new YamlStream();
        stream.Load(new StringReader(output.Result));
        return [.. stream.Documents.Select(d => (YamlMappingNode)d.RootNode)];
    }

    static YamlMappingNode Single(List<YamlMappingNode> objects, string kind, string name) =>
        objects.Single(o => Kind(o) == kind && Name(o) == name);

    static YamlMappingNode Container(YamlMappingNode workload) =>
        (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)((YamlMappingNode)workload["spec"])["template"])["spec"])["containers"])[0];

    static string Kind(YamlMappingNode node) => node["kind"].ToString();

    static string Name(YamlMappingNode node) => Scalar(node, "metadata", "name")!;

    static string? Scalar(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode mapping || !mapping.Children.TryGetValue(key, out var next))
                return null;
            node = next;
        }
        return (node as YamlScalarNode)?.Value;
    }

    static void CopyTree(string from, string to)
    {
        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            if (Path.GetFileName(file) != "secrets.env")
                File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }

    static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Anvil.slnx")))
                return directory.FullName;
        throw new InvalidOperationException("cannot find the repository root (Anvil.slnx) above " + AppContext.BaseDirectory);
    }
}
