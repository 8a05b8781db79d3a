using AcqService.Host.Cli;

// The CLI decides what to run; every command returns a documented exit code (see README "Exit codes").
return await CommandLineApp.RunAsync(args).ConfigureAwait(false);
