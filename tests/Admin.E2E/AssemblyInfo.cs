// One app and one browser serve every test (see AppFixture): the tests run one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
