using HealthMedallion.Bench;

// dotnet run -c Release --project bench -- <scenario> [--patients N]
// Runs one named scenario against servers started through the hosting model and writes its result as JSON
// under bench/results/. Without a scenario it lists them.
return await BenchRunner.RunAsync(args);
