#!/usr/bin/env node
import { runQueenCli } from "../core/queen-cli.js";

process.exitCode = await runQueenCli(process.argv.slice(2), process.env);
