// A `node --import` entry: the local server's host starts before the script loads (early-host.mjs).
import { startHostEarly } from "./early-host.mjs";

startHostEarly();
