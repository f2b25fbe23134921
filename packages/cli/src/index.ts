export { loadApp } from './loadApp.js';
export { exitCodes } from './exitCodes.js';
