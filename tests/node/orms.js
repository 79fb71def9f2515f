// knex migrations, Sequelize sync with associations and TypeORM synchronize
// with QueryBuilder, as their users start with them, against the server
// named by PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE. Run by
// tests/integration/test_pg_node_clients.py against themisd and, when one
// is given, a PostgreSQL 15 (same expectations).
'use strict';
require('reflect-metadata');
const assert = require('assert/strict');

const prefix = process.env.TABLE_PREFIX || 'nd';
const T = (n) => `${prefix}_${n}`;
const conn = () => ({
  host: process.env.PGHOST, port: Number(process.env.PGPORT),
  user: process.env.PGUSER, password: process.env.PGPASSWORD || undefined,
  database: process.env.PGDATABASE,
});

async function knex_migrations() {
  const knex = require('knex')({ client: 'pg', connection: conn(),
                                 pool: { min: 0, max: 2 } });
  // migrations from memory: the same API a migrations directory uses
  const migrations = {
    '001_authors': {
      up: (k) => k.schema.createTable(T('authors'), (t) => {
        t.increments('id');
        t.string('name', 100).notNullable().unique();
        t.timestamps(true, true);
      }),
      down: (k) => k.schema.dropTable(T('authors')),
    },
    '002_books': {
      up: (k) => k.schema.createTable(T('books'), (t) => {
        t.increments('id');
        t.string('title').notNullable();
        t.integer('author_id').unsigned().notNullable()
          .references('id').inTable(T('authors')).onDelete('CASCADE');
        t.decimal('price', 8, 2);
        t.index(['title']);
      }),
      down: (k) => k.schema.dropTable(T('books')),
    },
    '003_books_pages': {
      up: (k) => k.schema.alterTable(T('books'), (t) => {
        t.integer('pages').defaultTo(100);
        t.boolean('in_print').notNullable().defaultTo(true);
      }),
      down: (k) => k.schema.alterTable(T('books'), (t) => {
        t.dropColumn('pages');
        t.dropColumn('in_print');
      }),
    },
  };
  const source = {
    getMigrations: async () => Object.keys(migrations),
    getMigrationName: (m) => m,
    getMigration: async (m) => migrations[m],
  };
  const cfg = { migrationSource: source, tableName: T('knex_migrations') };
  try {
    await knex.schema.dropTableIfExists(T('books'));
    await knex.schema.dropTableIfExists(T('authors'));
    await knex.schema.dropTableIfExists(T('knex_migrations'));
    await knex.schema.dropTableIfExists(T('knex_migrations') + '_lock');
    // one batch per migration, so a rollback takes back one step
    for (let i = 0; i < 3; i++)
      await knex.migrate.up(cfg);
    const [a] = await knex(T('authors')).insert({ name: 'Le Guin' })
      .returning('id');
    await knex(T('books')).insert([
      { title: 'The Dispossessed', author_id: a.id, price: '12.50' },
      { title: 'Earthsea', author_id: a.id, pages: 250 }]);
    const rows = await knex(T('books')).join(T('authors'),
      `${T('books')}.author_id`, `${T('authors')}.id`)
      .select('title', 'name', 'pages', 'in_print').orderBy('title');
    assert.deepEqual(rows.map((r) => [r.title, r.pages, r.in_print]),
                     [['Earthsea', 250, true], ['The Dispossessed', 100, true]]);
    await assert.rejects(knex(T('books')).insert({ title: 'x', author_id: 999 }),
                         (e) => e.code === '23503');
    await knex.migrate.rollback(cfg); // 003 down
    const cols = await knex(T('books')).columnInfo();
    assert.ok(!('pages' in cols) && 'price' in cols, JSON.stringify(cols));
    await knex.migrate.rollback(cfg, true); // all the way down
    assert.equal(await knex.schema.hasTable(T('books')), false);
    assert.equal(await knex.schema.hasTable(T('authors')), false);
  } finally {
    await knex.destroy();
  }
}

async function sequelize_sync() {
  const { Sequelize, DataTypes, Op } = require('sequelize');
  const c = conn();
  const sq = new Sequelize(c.database, c.user, c.password, {
    host: c.host, port: c.port, dialect: 'postgres', logging: false,
    pool: { max: 2 },
  });
  try {
    const User = sq.define(T('user'), {
      name: { type: DataTypes.STRING, allowNull: false, unique: true },
      age: DataTypes.INTEGER,
      meta: DataTypes.JSONB,
    });
    const Post = sq.define(T('post'), {
      title: { type: DataTypes.STRING, allowNull: false },
      body: DataTypes.TEXT,
    });
    User.hasMany(Post, { foreignKey: 'user_id', onDelete: 'CASCADE' });
    Post.belongsTo(User, { foreignKey: 'user_id' });
    await sq.sync({ force: true });
    const ann = await User.create({ name: 'ann', age: 31, meta: { a: 1 } });
    await Post.bulkCreate([{ title: 'p1', user_id: ann.id },
                           { title: 'p2', user_id: ann.id }]);
    const u = await User.findOne({ where: { name: 'ann' }, include: Post });
    assert.equal(u.age, 31);
    assert.deepEqual(u.meta, { a: 1 });
    assert.equal(u[`${T('post')}s`].length, 2);
    const old = await User.findAll({ where: { age: { [Op.gt]: 30 } } });
    assert.equal(old.length, 1);
    await sq.transaction(async (t) => {
      await User.create({ name: 'bob', age: 20 }, { transaction: t });
    });
    await assert.rejects(sq.transaction(async (t) => {
      await User.create({ name: 'cid' }, { transaction: t });
      await User.create({ name: 'ann' }, { transaction: t }); // unique
    }));
    assert.equal(await User.count(), 2);
    await ann.destroy();
    assert.equal(await Post.count(), 0); // ON DELETE CASCADE
  } finally {
    await sq.close();
  }
}

async function typeorm_synchronize() {
  const { DataSource, EntitySchema } = require('typeorm');
  const Category = new EntitySchema({
    name: 'Category', tableName: T('category'),
    columns: { id: { type: Number, primary: true, generated: true },
               name: { type: String, unique: true } },
  });
  const Item = new EntitySchema({
    name: 'Item', tableName: T('item'),
    columns: {
      id: { type: Number, primary: true, generated: true },
      title: { type: String },
      qty: { type: 'int', default: 0 },
      created: { type: 'timestamptz', createDate: true },
    },
    relations: { category: { type: 'many-to-one', target: 'Category',
                             onDelete: 'CASCADE', eager: false } },
    indices: [{ name: `${T('item')}_title_idx`, columns: ['title'] }],
  });
  const c = conn();
  const ds = new DataSource({ type: 'postgres', ...c, username: c.user,
                              entities: [Category, Item], synchronize: false,
                              logging: false });
  await ds.initialize();
  try {
    await ds.query(`DROP TABLE IF EXISTS ${T('item')}`);
    await ds.query(`DROP TABLE IF EXISTS ${T('category')}`);
    await ds.synchronize();
    await ds.synchronize(); // a second run finds nothing to change
    const cats = ds.getRepository('Category');
    const items = ds.getRepository('Item');
    const tools = await cats.save({ name: 'tools' });
    await items.save([{ title: 'hammer', qty: 3, category: tools },
                      { title: 'saw', category: tools }]);
    const rows = await items.createQueryBuilder('i')
      .leftJoinAndSelect('i.category', 'c')
      .where('i.qty >= :q', { q: 0 }).orderBy('i.title').getMany();
    assert.deepEqual(rows.map((r) => [r.title, r.qty, r.category.name]),
                     [['hammer', 3, 'tools'], ['saw', 0, 'tools']]);
    const n = await items.createQueryBuilder('i')
      .where('i.title IN (:...t)', { t: ['saw', 'drill'] }).getCount();
    assert.equal(n, 1);
    await ds.transaction(async (m) => {
      await m.getRepository('Item').update({ title: 'saw' }, { qty: 9 });
    });
    assert.equal((await items.findOneBy({ title: 'saw' })).qty, 9);
    await cats.delete({ name: 'tools' });
    assert.equal(await items.count(), 0);
  } finally {
    await ds.destroy();
  }
}

const scenarios = { knex_migrations, sequelize_sync, typeorm_synchronize };

async function main() {
  let failed = 0;
  for (const name of process.argv.slice(2).length ? process.argv.slice(2)
                                                  : Object.keys(scenarios)) {
    try {
      await scenarios[name]();
      console.log(`ok ${name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name}: ${e.stack || e}`);
    }
  }
  process.exit(failed ? 1 : 0);
}

setTimeout(() => {
  console.log('FAIL: timed out');
  process.exit(2);
}, 150000).unref();
main();
