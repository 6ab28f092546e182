using Anvil.Bench;

// anvil bench: seed a production-sized project, measure it against its floors, or the events alone.
// bench/run builds this and sets the environment Settings reads.
var command = args.FirstOrDefault();
var rest = args.Skip(1);
switch (command)
{
    case "floor":
        {
            var options = Arguments.Parse(rest, new() { ["port"] = 5199, ["parent"] = 0 });
            await FloorApp.RunAsync(Settings.FromEnvironment(), options["port"], options["parent"]);
        }
        return 0;
    case "seed":
        {
            var settings = Settings.FromEnvironment();
            var options = Arguments.Parse(rest, new() { ["seed"] = 1, ["batch"] = 1000, ["parallel"] = 4, ["sequences"] = BigFeature.FullSequences, ["warmup"] = 2, ["twice"] = 1 });
            using var http = settings.CreateClient();
            await new Seeder(settings, http).RunAsync(options["seed"], options["batch"], options["parallel"], options["sequences"], options["warmup"], options["twice"] != 0);
            return 0;
        }
    case "ingest":
        {
            // The seed (twice unless --twice 0), then the COPY floor (twice) straight after: the ingest ratio alone, for tuning.
            var settings = Settings.FromEnvironment();
            var options = Arguments.Parse(rest, new() { ["seed"] = 1, ["batch"] = 1000, ["parallel"] = 4, ["sequences"] = BigFeature.FullSequences, ["warmup"] = 2, ["twice"] = 1 });
            using var http = settings.CreateClient();
            var seed = await new Seeder(settings, http).RunAsync(options["seed"], options["batch"], options["parallel"], options["sequences"], options["warmup"], options["twice"] != 0);
            var floor = await new CopyFloor(settings).BestEntitiesPerSecondAsync(seed.Seed, options["sequences"]);
            Console.WriteLine($"ingest: {seed.BestEntitiesPerSecond:N0} entities/s, floor {floor:N0}/s: {seed.BestEntitiesPerSecond / floor:P0} of the floor");
            return 0;
        }
    case "copyfloor":
        {
            // The COPY floor alone, for the project as seeded with the same --seed and --sequences.
            var settings = Settings.FromEnvironment();
            var options = Arguments.Parse(rest, new() { ["seed"] = 1, ["sequences"] = BigFeature.FullSequences });
            await new CopyFloor(settings).EntitiesPerSecondAsync(options["seed"], options["sequences"]);
            return 0;
        }
    case "run":
        {
            var settings = Settings.FromEnvironment();
            await new BenchRun(settings, RunOptions.Parse(rest)).RunAsync();
            return 0;
        }
    case "graphql":
        {
            var settings = Settings.FromEnvironment();
            await new BenchRun(settings, RunOptions.Parse(rest)).GraphQlOnlyAsync();
            return 0;
        }
    case "instances":
        {
            var settings = Settings.FromEnvironment();
            await new BenchRun(settings, RunOptions.Parse(rest)).InstancesOnlyAsync();
            return 0;
        }
    case "events":
        {
            var settings = Settings.FromEnvironment();
            using var http = settings.CreateClient();
            Console.WriteLine($"anvil bench events against {settings.ServerUrl}");
            await new EventsBench(settings, http, EventsOptions.Parse(rest)).RunAsync();
            return 0;
        }
    case "stream":
        {
            var settings = Settings.FromEnvironment();
            using var http = settings.CreateClient();
            await new StreamBench(settings, http, StreamOptions.Parse(rest)).RunAsync();
            return 0;
        }
    case "fuzz":
        {
            var settings = Settings.FromEnvironment();
            using var http = settings.CreateClient();
            return await new Fuzzer(settings, http, FuzzOptions.Parse(rest)).RunAsync();
        }
    case "addons":
        {
            var settings = Settings.FromEnvironment();
            var (packages, options) = AddonsBench.Parse(rest);
            using var http = settings.CreateClient();
            await new AddonsBench(settings, http, packages, options).RunAsync();
            return 0;
        }
    case "endpoints":
        {
            var settings = Settings.FromEnvironment();
            var (folder, options) = EndpointsBench.Parse(rest, Environment.GetEnvironmentVariable("ANVIL_BENCH_ENDPOINTS_ADDON") ?? "tests/addons/endpoints");
            using var http = settings.CreateClient();
            await new EndpointsBench(settings, http, folder, options).RunAsync();
            return 0;
        }
    default:
        Console.Error.WriteLine("usage: anvil bench seed|ingest|copyfloor|run|graphql|events|stream|fuzz|addons|endpoints [--option N ...]  (see bench/run)");
        return 2;
}
