/**
 * Some ES modules (@nestjs/swagger's UI loader) declare `const require = createRequire(...)`.
 * Turned into CommonJS, that local shadows the require the transform emits ("Cannot access
 * '_require' before initialization"); renaming it first keeps the two apart. A file of its own,
 * named by path in jest.config.js: Jest's workers receive the config serialized, which drops a
 * plugin given as a function.
 */
module.exports = function renameEsmRequire() {
  return {
    visitor: {
      Program(path) {
        if (path.scope.hasOwnBinding('require')) path.scope.rename('require', '__esmRequire');
      },
    },
  };
};
